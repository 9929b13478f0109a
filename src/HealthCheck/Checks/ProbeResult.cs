// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Checks;

/// <summary>The answer of one attempt at a check: healthy, or not and why.</summary>
internal readonly record struct ProbeResult(bool Passed, string? Reason)
{
    public static ProbeResult Pass() => new(true, null);

    public static ProbeResult Fail(string reason) => new(false, reason);
}
