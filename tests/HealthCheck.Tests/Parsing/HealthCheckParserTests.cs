// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Definitions;
using HealthCheck.Parsing;

namespace HealthCheck.Tests.Parsing;

public sealed class HealthCheckParserTests
{
    private const string File = "/etc/updater/health.d/10-net.conf";

    [Fact]
    public void Every_key_of_every_type_is_read()
    {
        var checks = HealthCheckParser.Parse(
            """
            # Network must come up; the web UI only warns.
            [check.network]
            type = systemd-unit
            unit = systemd-networkd.service
            timeout = 45s
            retries = 3
            retry-delay = 500ms

            ; a comment in the other style
            [check.disk-ok]
            type = command
            command = test -w /data && grep -q ok /data/state
            required = yes

            [check.web-ui]
            type = http
            url = http://127.0.0.1:8080/health#fragment
            required = no
            status = 200-399
            timeout = 2m

            [check.data]
            type   =   mount
            path=/data
            """,
            File);

        Assert.Equal(
            [
                new HealthCheckDefinition("network", HealthCheckKind.SystemdUnit, "systemd-networkd.service", $"{File}:2")
                {
                    Timeout = TimeSpan.FromSeconds(45), Retries = 3, RetryDelay = TimeSpan.FromMilliseconds(500),
                },
                new HealthCheckDefinition("disk-ok", HealthCheckKind.Command, "test -w /data && grep -q ok /data/state", $"{File}:10"),
                new HealthCheckDefinition("web-ui", HealthCheckKind.Http, "http://127.0.0.1:8080/health#fragment", $"{File}:15")
                {
                    Required = false, ExpectedStatus = new HttpStatusRange(200, 399), Timeout = TimeSpan.FromMinutes(2),
                },
                new HealthCheckDefinition("data", HealthCheckKind.Mount, "/data", $"{File}:22"),
            ],
            checks);
    }

    [Fact]
    public void Unset_keys_take_the_documented_defaults()
    {
        var check = Assert.Single(HealthCheckParser.Parse("[check.a]\ntype = mount\npath = /\n", File));

        Assert.True(check.Required);
        Assert.Equal(TimeSpan.FromSeconds(30), check.Timeout);
        Assert.Equal(0, check.Retries);
        Assert.Equal(TimeSpan.FromSeconds(2), check.RetryDelay);
        Assert.Equal(new HttpStatusRange(200, 299), check.ExpectedStatus);
    }

    [Fact]
    public void A_unit_without_a_type_suffix_is_a_service_as_for_systemctl()
    {
        var checks = HealthCheckParser.Parse("[check.a]\ntype = systemd-unit\nunit = sshd\n[check.b]\ntype = systemd-unit\nunit = data.mount\n", File);

        Assert.Equal(["sshd.service", "data.mount"], checks.Select(check => check.Target));
    }

    [Fact]
    public void Windows_line_endings_and_an_exact_status_are_accepted()
    {
        var check = Assert.Single(HealthCheckParser.Parse("[check.a]\r\ntype = http\r\nurl = http://x/\r\nstatus = 204\r\n", File));

        Assert.Equal(new HttpStatusRange(204, 204), check.ExpectedStatus);
        Assert.Equal("http://x/", check.Target);
    }

    [Theory]
    [InlineData("[check.a]\ntype = mount\npath = /\ncolour = red\n", 4, "colour", "unknown key")]
    [InlineData("[check.a]\ntype = mount\npath = /\ntimeout = 30x\n", 4, "timeout", "'30x' is not a duration")]
    [InlineData("[check.a]\ntype = mount\npath = /\ntimeout = 0s\n", 4, "timeout", "must be at least 10ms")]
    [InlineData("[check.a]\ntype = mount\npath = /\nretries = -1\n", 4, "retries", "'-1' is not a whole number from 0 to 100")]
    [InlineData("[check.a]\ntype = mount\npath = /\nretries = 101\n", 4, "retries", "is not a whole number")]
    [InlineData("[check.a]\ntype = mount\npath = /\nretry-delay = soon\n", 4, "retry-delay", "'soon' is not a duration")]
    [InlineData("[check.a]\ntype = mount\npath = /\nrequired = maybe\n", 4, "required", "'maybe' is not yes or no")]
    [InlineData("[check.a]\ntype = service\n", 2, "type", "'service' is not one of systemd-unit, command, http, mount")]
    [InlineData("[check.a]\ntype = mount\ntype = http\n", 3, "type", "is given twice in [check.a] (first on line 2)")]
    [InlineData("[check.a]\ntype = mount\nunit = x.service\n", 3, "unit", "does not apply to type mount; use 'path ='")]
    [InlineData("[check.a]\ntype = mount\npath = /\nurl = http://x/\n", 4, "url", "a check has one target, and 'path' is already set on line 3")]
    [InlineData("[check.a]\ntype = mount\npath = /\nstatus = 200\n", 4, "status", "applies to type http only, not mount")]
    [InlineData("[check.a]\ntype = http\nurl = http://x/\nstatus = 600\n", 4, "status", "'600' is not an HTTP status")]
    [InlineData("[check.a]\ntype = http\nurl = http://x/\nstatus = 299-200\n", 4, "status", "is not an HTTP status")]
    [InlineData("[check.a]\ntype = http\nurl = ftp://x/\n", 3, "url", "'ftp://x/' is not an absolute http:// or https:// URL")]
    [InlineData("[check.a]\ntype = http\nurl = /health\n", 3, "url", "is not an absolute http:// or https:// URL")]
    [InlineData("[check.a]\ntype = mount\npath = data\n", 3, "path", "'data' is not an absolute path")]
    [InlineData("[check.a]\ntype = systemd-unit\nunit = my unit\n", 3, "unit", "'my unit' is not a unit name")]
    [InlineData("[check.a]\ntype = command\ncommand =\n", 3, "command", "is empty")]
    [InlineData("type = mount\n", 1, "type", "is outside any [section]")]
    public void A_bad_key_is_reported_with_file_line_and_key(string text, int line, string key, string problem)
    {
        var error = Assert.Throws<HealthCheckConfigException>(() => HealthCheckParser.Parse(text, File));

        Assert.Equal(File, error.File);
        Assert.Equal(line, error.Line);
        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"{File}:{line}: key '{key}': ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[check.a]\npath = /\n", 1, "check 'a' has no 'type'")]
    [InlineData("# first\n[check.a]\ntype = http\n", 2, "check 'a' of type http needs 'url ='")]
    [InlineData("[health]\n", 1, "unknown section [health]")]
    [InlineData("[check.]\n", 1, "check name '' must be non-empty")]
    [InlineData("[check.a b]\n", 1, "malformed section name 'check.a b'")]
    [InlineData("[check.a\n", 1, "lacks its closing ']'")]
    [InlineData("[check.a]\ntype = mount\npath = /\njust words\n", 4, "expected 'key = value', found 'just words'")]
    [InlineData("[check.a]\n= value\n", 2, "has no key")]
    [InlineData("[check.a]\ntype = mount\npath = /\n\n[check.a]\ntype = mount\npath = /x\n", 5, "section [check.a] appears twice (first on line 1)")]
    public void A_bad_line_or_section_is_reported_with_file_and_line(string text, int line, string problem)
    {
        var error = Assert.Throws<HealthCheckConfigException>(() => HealthCheckParser.Parse(text, File));

        Assert.Equal(line, error.Line);
        Assert.Null(error.Key);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"{File}:{line}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_text_has_no_checks()
    {
        Assert.Empty(HealthCheckParser.Parse("\n# nothing here\n\n", File));
    }
}
