// SPDX-License-Identifier: Apache-2.0
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

    /// <summary>
    /// Deadline of a whole bundle transfer: opening it and every payload range with all their retries and
    /// resumes. Progress never extends it: a server that trickles cannot keep the device busy longer.
    /// </summary>
    public TimeSpan BundleDeadline { get; init; } = TimeSpan.FromHours(6);

    /// <summary>
    /// The slowest transfer tolerated, in bytes per second, judged over <see cref="MinRateTime"/> of receiving
    /// a body (curl's --speed-limit); 0 turns the rule off. Slower than this, the transfer is given up.
    /// </summary>
    public long MinRate { get; init; } = 1024;

    /// <summary>How long a transfer may stay below <see cref="MinRate"/> before it is given up (curl's --speed-time).</summary>
    public TimeSpan MinRateTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Origins (scheme, host, port) other than the requested URL's to which a GET may be redirected, e.g. the
    /// CDN a download URL redirects to. Empty: same-origin redirects only.
    /// </summary>
    public IReadOnlyList<Origin> RedirectOrigins { get; init; } = [];

    /// <summary>Redirects followed for one request at most.</summary>
    public int MaxRedirects { get; init; } = 5;

    /// <summary>[channel] ca-file: the only CAs a server certificate may chain to; null: the system's trust store.</summary>
    public ServerTrust? ServerTrust { get; init; }

    /// <summary>[channel] client-certificate and client-key (mutual TLS): offered to a server that asks for one.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; init; }

    /// <summary>[channel] header-file: headers sent to the channel URL's origin only.</summary>
    public OriginHeaders? OriginHeaders { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Called on each retry with a line for the log (URL without credentials).</summary>
    public Action<string>? OnRetry { get; init; }

    /// <summary>Text for a message or a log line, with the header-file's values taken out.</summary>
    public string Redact(string text) => OriginHeaders?.Redact(text) ?? text;
}
