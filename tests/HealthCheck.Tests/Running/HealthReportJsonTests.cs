// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using HealthCheck.Definitions;
using HealthCheck.Running;

namespace HealthCheck.Tests.Running;

public sealed class HealthReportJsonTests
{
    [Fact]
    public void A_report_is_written_with_snake_case_names_and_the_words_of_the_drop_in_format()
    {
        var report = new HealthReport(
            HealthVerdict.Fail,
            new DateTimeOffset(2026, 11, 28, 23, 0, 0, TimeSpan.Zero),
            TimeSpan.FromSeconds(1.5),
            [
                new HealthCheckResult("net", HealthCheckKind.SystemdUnit, "systemd-networkd.service", "/etc/updater/health.d/10-net.conf:2",
                    Required: true, Passed: false, Attempts: 3, Duration: TimeSpan.FromSeconds(1.25), Reason: "unit systemd-networkd.service failed"),
            ]);

        var json = JsonSerializer.Serialize(report, HealthReportJsonContext.Default.HealthReport);

        Assert.Equal(
            """
            {
              "verdict": "fail",
              "started_at": "2026-11-28T23:00:00+00:00",
              "duration_seconds": 1.5,
              "checks": [
                {
                  "name": "net",
                  "kind": "systemd-unit",
                  "target": "systemd-networkd.service",
                  "source": "/etc/updater/health.d/10-net.conf:2",
                  "required": true,
                  "passed": false,
                  "attempts": 3,
                  "duration_seconds": 1.25,
                  "reason": "unit systemd-networkd.service failed"
                }
              ]
            }
            """.ReplaceLineEndings("\n"),
            json.ReplaceLineEndings("\n"));
        var read = JsonSerializer.Deserialize(json, HealthReportJsonContext.Default.HealthReport)!;
        Assert.Equal(report with { Checks = [] }, read with { Checks = [] });
        Assert.Equal(report.Checks.Single(), read.Checks.Single());
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1e300")]
    [InlineData("\"00:00:01\"")]
    public void A_duration_that_is_not_a_sane_number_of_seconds_is_refused(string duration)
    {
        string json = $$"""{"verdict": "pass", "started_at": "2026-11-28T23:00:00+00:00", "duration_seconds": {{duration}}, "checks": []}""";
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(json, HealthReportJsonContext.Default.HealthReport));
    }

    [Theory]
    [InlineData(HealthCheckKind.SystemdUnit, "systemd-unit")]
    [InlineData(HealthCheckKind.Command, "command")]
    [InlineData(HealthCheckKind.Http, "http")]
    [InlineData(HealthCheckKind.Mount, "mount")]
    public void Every_kind_has_its_drop_in_word(HealthCheckKind kind, string word)
    {
        var result = new HealthCheckResult("c", kind, "t", "s:1", true, true, 1, TimeSpan.Zero, null);
        var report = new HealthReport(HealthVerdict.Pass, DateTimeOffset.UnixEpoch, TimeSpan.Zero, [result]);

        var json = JsonSerializer.Serialize(report, HealthReportJsonContext.Default.HealthReport);

        Assert.Contains($"\"kind\": \"{word}\"", json, StringComparison.Ordinal);
        Assert.Contains("\"verdict\": \"pass\"", json, StringComparison.Ordinal);
    }
}
