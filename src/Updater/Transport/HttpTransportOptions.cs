namespace Updater.Transport;

/// <summary>
/// How hard the HTTP transport tries before it gives up. Every timer runs on <see cref="Time"/>, so tests
/// drive timeouts, backoff and Retry-After with a fake clock.
/// </summary>
internal sealed record HttpTransportOptions
{
    /// <summary>One attempt: connecting and getting the response headers, or one read of the body that brings no byte.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts for one operation (a request, or one read of a range); progress starts the count again.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>First backoff delay; it doubles per attempt, with jitter, up to <see cref="BackoffMax"/>.</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Overall deadline of one operation with all its retries: past it, the transfer gives up.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMinutes(15);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Called on each retry with a line for the log (URL without credentials).</summary>
    public Action<string>? OnRetry { get; init; }
}
