// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Definitions;

/// <summary>
/// One health check as configured: what to ask (<see cref="Kind"/> and <see cref="Target"/>), whether its failure
/// decides the verdict (<see cref="Required"/>), and how long and how often to ask.
/// </summary>
/// <param name="Name">The name from <c>[check.NAME]</c>; unique within one set of checks.</param>
/// <param name="Kind">What kind of thing is checked.</param>
/// <param name="Target">Unit name, shell command line, URL or path, depending on <see cref="Kind"/>.</param>
/// <param name="Source">Where the check was defined, as <c>file:line</c>; every message about the check names it.</param>
public sealed record HealthCheckDefinition(string Name, HealthCheckKind Kind, string Target, string Source)
{
    /// <summary>How long one attempt may take unless a check says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait before the first retry unless a check says otherwise; later retries wait longer.</summary>
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>A required check that fails makes the verdict Fail; a wanted one (false) only warns.</summary>
    public bool Required { get; init; } = true;

    /// <summary>The deadline of one attempt; an attempt that has not answered by then counts as failed.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>How many more attempts follow a failed one (0: one attempt only).</summary>
    public int Retries { get; init; }

    /// <summary>The wait before the first retry; each further retry waits twice as long as the one before.</summary>
    public TimeSpan RetryDelay { get; init; } = DefaultRetryDelay;

    /// <summary>For <see cref="HealthCheckKind.Http"/>: the status codes that count as healthy.</summary>
    public HttpStatusRange ExpectedStatus { get; init; } = HttpStatusRange.Success;
}
