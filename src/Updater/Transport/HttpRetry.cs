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
                // A server that says when to come back is believed, within the overall deadline.
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is TransientHttpException { RetryAfter: { } after } ? (TimeSpan?)after : null),
                OnRetry = args =>
                {
                    _options.OnRetry?.Invoke($"{_name}: attempt {args.AttemptNumber + 1} failed ({Describe(args.Outcome.Exception)}); retrying in {args.RetryDelay.TotalSeconds:0.#} s");
                    return ValueTask.CompletedTask;
                },
            });
        }
        _pipeline = builder.AddTimeout(options.RequestTimeout).Build();
    }

    public TimeProvider Time => _options.Time;

    public TimeSpan RequestTimeout => _options.RequestTimeout;

    /// <param name="what">Names the operation for the error: the URL (redacted) and the byte range.</param>
    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> attempt, string what, CancellationToken cancellationToken)
    {
        int attempts = 0;
        try
        {
            return await _pipeline.ExecuteAsync(ct =>
            {
                attempts++;
                return attempt(ct);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && (IsTransient(e) || e is TimeoutRejectedException))
        {
            string why = attempts >= _options.MaxAttempts
                ? $"giving up after {attempts} attempts"
                : $"giving up after {attempts} attempt(s): the {_options.Deadline.TotalSeconds:0} s deadline passed";
            throw new UpdaterException(ExitCode.Io, $"{what}: {why}; last error: {Describe(e)}", e);
        }
        catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpdaterException(ExitCode.Io, $"{what}: {Describe(e)}", e);
        }
    }

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
    public static string Status(HttpResponseMessage response) => $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";

    /// <summary>The server's Retry-After as a delay from now, if it sent one.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
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
        HttpRequestException { InnerException: { } inner } h => $"{h.Message} ({inner.Message})",
        _ => e.Message,
    };
}
