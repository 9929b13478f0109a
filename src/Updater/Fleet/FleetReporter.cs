// SPDX-License-Identifier: Apache-2.0
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;
using Updater.Transport;

namespace Updater.Fleet;

/// <summary>
/// Posts <see cref="FleetReport"/>s to the operator's URL in the background, each retried like any HTTP
/// operation. Posting never blocks and never throws: an update must not wait for, or fail because of, a
/// report endpoint. The queue is bounded; when it is full the oldest report is dropped. Each report is
/// bounded by http-deadline (its retries, whatever Retry-After says, included), a POST is never redirected,
/// and the endpoint's response body is never read: nothing the endpoint answers can make a report cost more.
/// </summary>
internal sealed class FleetReporter : IAsyncDisposable
{
    public const int Capacity = 64;

    private readonly Uri? _uri;
    private readonly HttpClient _client;
    private readonly HttpRetry _retry;
    private readonly Action<string> _log;
    private readonly Channel<FleetReport> _queue = Channel.CreateBounded<FleetReport>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;

    /// <param name="url">null: reports are accepted and dropped (no report-url configured).</param>
    public FleetReporter(string? url, HttpClient client, HttpTransportOptions options, Action<string> log)
    {
        _log = log;
        try
        {
            _uri = url is null ? null : SafeUrl.Parse(url, "report-url");
        }
        catch (UpdaterException e)
        {
            // update.conf was checked when it was read; should a URL still not parse, reports are off, never the agent.
            log($"status reports are off: {e.Message}");
        }
        _client = client;
        _retry = new HttpRetry(options, _uri is null ? "report-url" : SafeUrl.Redact(_uri));
        _worker = _uri is null ? Task.CompletedTask : Task.Run(SendLoopAsync);
    }

    /// <summary>Reports delivered (2xx) so far.</summary>
    public int Delivered { get; private set; }

    public void Post(FleetReport report)
    {
        if (_uri is not null)
        {
            _queue.Writer.TryWrite(report);
        }
    }

    private async Task SendLoopAsync()
    {
        var token = _stop.Token;
        try
        {
            await foreach (var report in _queue.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                try
                {
                    await SendAsync(report, token).ConfigureAwait(false);
                    Delivered++;
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    // Whatever went wrong (a refusal, a timeout, the HTTP client disposed under it), one report is
                    // lost and the worker goes on: reporting must never fail or stop the agent.
                    _log($"status report '{report.Event}' to {SafeUrl.Redact(_uri!)} dropped: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The worker is the last place a report can fail: it ends quietly, and Post keeps dropping into the queue.
            _log($"status reports stopped: {ServerText.Cap(e.Message)}");
        }
    }

    private Task SendAsync(FleetReport report, CancellationToken cancellationToken)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(report, FleetReportJsonContext.Default.FleetReport);
        return _retry.ExecuteAsync(async ct =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _uri);
            request.Headers.Authorization = SafeUrl.BasicAuthorization(_uri!);
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            // Headers only: the endpoint's body (it could be gigabytes) is never read, only its status counts.
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            _retry.ThrowOnFailure(response, SafeUrl.Redact(_uri!));
            return true;
        }, SafeUrl.Redact(_uri!), cancellationToken);
    }

    /// <summary>Gives queued reports <paramref name="grace"/> to go out, then stops; never longer.</summary>
    public async Task FlushAsync(TimeSpan grace, TimeProvider time)
    {
        _queue.Writer.TryComplete();
        try
        {
            await _worker.WaitAsync(grace, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _log("status reports still queued were dropped at shutdown");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        // The worker catches everything itself; should it not, disposing still must not throw at its caller.
        await _worker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
