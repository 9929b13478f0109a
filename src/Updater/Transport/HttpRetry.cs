// SPDX-License-Identifier: Apache-2.0
using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Updater.Transport;

/// <summary>
/// The retry discipline of every HTTP operation, through Polly: an overall deadline around exponential
/// backoff with jitter around a per-attempt timeout. Transient failures (connection refused or reset, a
/// body cut short, a timeout, 408/429/5xx) are retried; anything else (404, a lying server, a changed
/// bundle) fails at once. Giving up is one <see cref="UpdaterException"/> that names the URL and the cause.
/// </summary>
internal sealed class HttpRetry
{
    /// <summary>When the running operation must be over: the earlier of its own deadline and the whole transfer's.</summary>
    private static readonly ResiliencePropertyKey<DateTimeOffset> EndKey = new("updater.end");

    private readonly ResiliencePipeline _pipeline;
    private readonly HttpTransportOptions _options;

    private readonly string _name;

    /// <param name="name">What is fetched, for retry log lines: a URL without credentials.</param>
    public HttpRetry(HttpTransportOptions options, string name)
    {
        _options = options;
        _name = name;
        var builder = new ResiliencePipelineBuilder { TimeProvider = options.Time }.AddTimeout(options.Deadline);
        // Polly refuses a retry strategy of zero retries: with `http-attempts = 1` there is simply none.
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BackoffBase,
                MaxDelay = options.BackoffMax,
                // A server that says when to come back is believed only up to the backoff ceiling and the time the
                // operation has left: its header must never produce a wait the timer rejects or one past the deadline.
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is TransientHttpException { RetryAfter: { } after }
                    ? (TimeSpan?)ClampDelay(after, _options.BackoffMax, TimeLeft(args.Context))
                    : null),
                OnRetry = args =>
                {
                    _options.OnRetry?.Invoke(_options.Redact($"{_name}: attempt {args.AttemptNumber + 1} failed ({Describe(args.Outcome.Exception)}); retrying in {args.RetryDelay.TotalSeconds:0.#} s"));
                    return ValueTask.CompletedTask;
                },
            });
        }
        _pipeline = builder.AddTimeout(options.RequestTimeout).Build();
    }

    public TimeProvider Time => _options.Time;

    public TimeSpan RequestTimeout => _options.RequestTimeout;

    /// <param name="what">Names the operation for the error: the URL (redacted) and the byte range.</param>
    /// <param name="overall">The whole transfer this operation is part of (a bundle): its end bounds this one too.</param>
    /// <exception cref="UpdaterException">Whatever went wrong, unless the caller cancelled: this is the boundary of every network path.</exception>
    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> attempt, string what, CancellationToken cancellationToken, OperationDeadline? overall = null)
    {
        try
        {
            return await ExecuteCoreAsync(attempt, what, cancellationToken, overall).ConfigureAwait(false);
        }
        catch (UpdaterException e) when (_options.Redact(e.Message) is var redacted && redacted != e.Message)
        {
            // A server that echoes a header-file token (in a reason phrase, a Location, a header it quotes) must
            // not get it into the journal: the message goes without it, and without the exception that quoted it.
            throw new UpdaterException(e.ExitCode, redacted);
        }
    }

    private async Task<T> ExecuteCoreAsync<T>(Func<CancellationToken, ValueTask<T>> attempt, string what, CancellationToken cancellationToken, OperationDeadline? overall)
    {
        int attempts = 0;
        if (overall?.Passed == true)
        {
            throw new UpdaterException(ExitCode.Io, $"{what}: {overall.Describe()}");
        }
        using var linked = overall is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, overall.Token);
        var context = ResilienceContextPool.Shared.Get(linked?.Token ?? cancellationToken);
        var end = Time.GetUtcNow() + _options.Deadline;
        context.Properties.Set(EndKey, overall is not null && overall.End < end ? overall.End : end);
        try
        {
            return await _pipeline.ExecuteAsync(ctx =>
            {
                attempts++;
                return attempt(ctx.CancellationToken);
            }, context).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && overall?.Passed == true && e is not UpdaterException)
        {
            throw new UpdaterException(ExitCode.Io, $"{what}: {overall.Describe()} after {attempts} attempt(s); last error: {Describe(e)}", e);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && (IsTransient(e) || e is TimeoutRejectedException))
        {
            string why = attempts >= _options.MaxAttempts
                ? $"giving up after {attempts} attempts"
                : $"giving up after {attempts} attempt(s): the {_options.Deadline.TotalSeconds:0} s deadline passed";
            throw new UpdaterException(ExitCode.Io, $"{what}: {why}; last error: {Describe(e)}", e);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not UpdaterException)
        {
            // Anything else a hostile peer can provoke deep in the stack (a header the parser rejects, an
            // HttpClient timeout, a URI it cannot form) is still a network failure of this operation, not a crash.
            throw new UpdaterException(ExitCode.Io, $"{what}: {Describe(e)}", e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// The wait before the next attempt when the server sent Retry-After: at most <paramref name="ceiling"/>
    /// (the backoff ceiling) and at most <paramref name="left"/> (the operation's time left), never negative.
    /// </summary>
    public static TimeSpan ClampDelay(TimeSpan after, TimeSpan ceiling, TimeSpan left)
    {
        var delay = after < ceiling ? after : ceiling;
        delay = delay < left ? delay : left;
        return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
    }

    private TimeSpan TimeLeft(ResilienceContext context) =>
        context.Properties.TryGetValue(EndKey, out var end) ? end - Time.GetUtcNow() : _options.Deadline;

    /// <summary>Failures worth another attempt; a cancellation by the caller never is.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        UpdaterException => false,
        TimeoutRejectedException => true,
        TransientHttpException => true,
        HttpRequestException { StatusCode: { } status } => IsTransientStatus(status),
        // A certificate the device does not trust will not become trusted by asking again.
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => false,
        HttpRequestException => true,
        IOException => true,
        _ => false,
    };

    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        || ((int)status >= 500 && status is not HttpStatusCode.NotImplemented and not HttpStatusCode.HttpVersionNotSupported);

    /// <summary>
    /// The one mapping from an HTTP status to an exception: a 2xx returns; 408, 429 and most 5xx become a
    /// <see cref="TransientHttpException"/> (so <see cref="ExecuteAsync{T}"/> retries it, after the server's
    /// Retry-After if it sent one); anything else fails at once as an I/O error. Every message reads
    /// "<paramref name="what"/>: HTTP 404 Not Found".
    /// </summary>
    /// <param name="what">The URL (redacted) and, where it helps, what was asked of it.</param>
    public void ThrowOnFailure(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        string failure = $"{what}: {Status(response)}";
        if (IsTransientStatus(response.StatusCode))
        {
            throw new TransientHttpException(failure, RetryAfter(response, Time));
        }
        throw new UpdaterException(ExitCode.Io, failure);
    }

    /// <summary>"HTTP 404 Not Found": how every message names a status.</summary>
    public static string Status(HttpResponseMessage response) => $"HTTP {(int)response.StatusCode} {ServerText.Cap(response.ReasonPhrase)}";

    /// <summary>The server's Retry-After as a delay from now, if it sent one.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta > TimeSpan.Zero ? delta : TimeSpan.Zero;
        }
        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    private static string Describe(Exception? e) => e switch
    {
        null => "no error",
        TimeoutRejectedException => "timed out",
        OperationCanceledException => "timed out",
        HttpRequestException { InnerException: { } inner } h => ServerText.Cap($"{h.Message} ({inner.Message})"),
        _ => ServerText.Cap(e.Message),
    };
}
