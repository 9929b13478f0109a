// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;
using HealthCheck.Definitions;

namespace HealthCheck.Running;

/// <summary>What one check found.</summary>
/// <param name="Name">The check's name.</param>
/// <param name="Kind">What kind of check it was.</param>
/// <param name="Target">The unit, command, URL or path it checked.</param>
/// <param name="Source">Where it was defined (<c>file:line</c>).</param>
/// <param name="Required">True if its failure fails the verdict; false if it only warns.</param>
/// <param name="Passed">True if an attempt passed.</param>
/// <param name="Attempts">How many attempts were started (1 plus the retries used).</param>
/// <param name="Duration">In JSON <c>duration_seconds</c>, a number of seconds. From the first attempt's start to the result, retry delays included.</param>
/// <param name="Reason">Why the last attempt failed; null when the check passed.</param>
public sealed record HealthCheckResult(
    string Name,
    HealthCheckKind Kind,
    string Target,
    string Source,
    bool Required,
    bool Passed,
    int Attempts,
    [property: JsonPropertyName("duration_seconds"), JsonConverter(typeof(SecondsJsonConverter))] TimeSpan Duration,
    string? Reason);
