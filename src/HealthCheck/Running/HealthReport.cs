// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace HealthCheck.Running;

/// <summary>The outcome of a run of health checks: the verdict and what each check found, in the order given.</summary>
/// <param name="Verdict">Fail if any required check failed, else Pass (also when there were no checks).</param>
/// <param name="StartedAt">When the run began, by the runner's clock.</param>
/// <param name="Duration">In JSON <c>duration_seconds</c>, a number of seconds. How long the whole run took.</param>
/// <param name="Checks">One result per check, in the order the definitions were given.</param>
public sealed record HealthReport(
    HealthVerdict Verdict,
    DateTimeOffset StartedAt,
    [property: JsonPropertyName("duration_seconds"), JsonConverter(typeof(SecondsJsonConverter))] TimeSpan Duration,
    IReadOnlyList<HealthCheckResult> Checks);
