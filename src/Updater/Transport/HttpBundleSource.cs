// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Net.Http.Headers;
using Updater.Bundles;

namespace Updater.Transport;

/// <summary>
/// A bundle on any HTTP(S) server, read with Range requests: the first request fetches the head of the
/// bundle (header, manifest, signature fit in it) and learns the length and identity (ETag/Last-Modified);
/// payload ranges are then streamed straight into the install pipeline, no copy on disk. Every response is
/// checked against what was asked: a Content-Range or Content-Length that disagrees, or a changed identity,
/// is an error, and no read ever goes past the length asked for. A server that ignores Range (200 instead
/// of 206) still works: the stream skips to the offset, still bounded by the bundle's length.
/// </summary>
internal sealed class HttpBundleSource : IBundleSource
{
    /// <summary>Enough for the header, a typical manifest and its signature in one round trip.</summary>
    public const int HeadBytes = 64 * 1024;

    private readonly HttpClient _client;
    private readonly bool _ownsClient;
    private readonly Uri _uri;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly OperationDeadline _deadline;
    private byte[] _head = [];

    private HttpBundleSource(HttpClient client, bool ownsClient, Uri uri, HttpTransportOptions options)
    {
        _client = client;
        _ownsClient = ownsClient;
        _uri = uri;
        _authorization = SafeUrl.BasicAuthorization(uri);
        Name = SafeUrl.Redact(uri);
        Options = options;
        Retry = new HttpRetry(options, Name);
        // Started at the first request: opening the bundle and every payload range after it share this one end.
        _deadline = new OperationDeadline(options.BundleDeadline, options.Time, "http-bundle-deadline");
        Identity = new RemoteIdentity(null, null);
    }

    public string Name { get; }

    public long Length { get; private set; }

    /// <summary>A second pass would fetch every payload byte again.</summary>
    public bool RereadIsCheap => false;

    /// <summary>What identified the bundle on the first response.</summary>
    public RemoteIdentity Identity { get; private set; }

    /// <summary>The server answered a Range request with the whole file: reads skip to their offset.</summary>
    public bool RangeIgnored { get; private set; }

    internal HttpRetry Retry { get; }

    internal HttpTransportOptions Options { get; }

    /// <summary>The end of the whole transfer; every request of this source runs within it.</summary>
    internal OperationDeadline Deadline => _deadline;

    /// <summary>Fetches the head of the bundle; fails with one clear error when the server cannot deliver it.</summary>
    /// <param name="client">A shared client (the daemon's); null makes one that this source disposes.</param>
    public static async Task<HttpBundleSource> OpenAsync(Uri uri, HttpTransportOptions options, HttpClient? client, CancellationToken cancellationToken)
    {
        var source = new HttpBundleSource(client ?? UpdaterHttpClient.Create(options), client is null, uri, options);
        try
        {
            await source.ReadHeadAsync(cancellationToken).ConfigureAwait(false);
            return source;
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private Task ReadHeadAsync(CancellationToken cancellationToken) =>
        Retry.ExecuteAsync(async ct =>
        {
            using var request = NewRequest();
            request.Headers.Range = new RangeHeaderValue(0, HeadBytes - 1);
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            ThrowOnFailureStatus(response, "the bundle's head");
            long available;
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                var range = response.Content.Headers.ContentRange;
                if (range is not { HasRange: true, HasLength: true } || range.From != 0 || range.To is not { } to || to >= HeadBytes || range.Length is not { } total || to >= total)
                {
                    throw new UpdaterException(ExitCode.BadInput, $"{Name}: asked for bytes 0-{HeadBytes - 1}, the server answered Content-Range '{ServerText.Cap(range?.ToString())}'");
                }
                Length = total;
                available = to + 1;
                CheckContentLength(response, available, $"bytes 0-{to}");
            }
            else
            {
                Length = response.Content.Headers.ContentLength
                    ?? throw new UpdaterException(ExitCode.BadInput, $"{Name}: the server ignores Range requests and sends no Content-Length: the bundle's length is unknown");
                RangeIgnored = true;
                available = Math.Min(Length, HeadBytes);
            }
            Identity = RemoteIdentity.Of(response);
            var head = new byte[available];
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var rate = new TransferRate(Options, $"{Name}: the bundle's head");
            rate.Opened();
            await ReadFullyAsync(body, head, 0, ct, rate).ConfigureAwait(false);
            _head = head;
            return true;
        }, $"{Name}: reading the bundle's head", cancellationToken, _deadline);

    public async Task ReadExactlyAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        CheckBounds(offset, buffer.Length);
        if (offset + buffer.Length <= _head.Length)
        {
            _head.AsMemory((int)offset, buffer.Length).CopyTo(buffer);
            return;
        }
        await using var stream = await OpenRangeAsync(offset, buffer.Length, cancellationToken).ConfigureAwait(false);
        await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public Task<Stream> OpenRangeAsync(long offset, long length, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        CheckBounds(offset, length);
        return Task.FromResult<Stream>(new HttpRangeStream(this, offset, length));
    }

    /// <summary>
    /// One GET for bytes <paramref name="from"/>..<paramref name="to"/> (inclusive), checked against what was
    /// asked. Returns the response and how many leading bytes of its body to skip (non-zero only when the
    /// server ignores Range and sends the whole file).
    /// </summary>
    internal async Task<(HttpResponseMessage Response, long Skip)> SendRangeAsync(long from, long to, CancellationToken cancellationToken)
    {
        using var request = NewRequest();
        request.Headers.Range = new RangeHeaderValue(from, to);
        request.Headers.IfRange = Identity.IfRange();
        var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowOnFailureStatus(response, $"bytes {from}-{to}");
            CheckIdentity(response);
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                var range = response.Content.Headers.ContentRange;
                if (range is not { HasRange: true } || range.From != from || range.To != to || (range.HasLength && range.Length != Length))
                {
                    throw new UpdaterException(ExitCode.BadInput, $"{Name}: asked for bytes {from}-{to} of {Length}, the server answered Content-Range '{ServerText.Cap(range?.ToString())}': refusing bytes the request did not ask for");
                }
                CheckContentLength(response, to - from + 1, $"bytes {from}-{to}");
                return (response, 0);
            }
            // 200: the whole representation. With If-Range, that is also how a server says the file changed;
            // the identity check above has ruled that out where the server tells, the length check does the rest.
            CheckContentLength(response, Length, "the whole bundle");
            RangeIgnored = true;
            return (response, from);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private HttpRequestMessage NewRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, _uri);
        request.Headers.Authorization = _authorization;
        return request;
    }

    /// <summary>
    /// Only 200 and 206 carry bundle bytes. A 416 gets its own message (the file shrank); every other status
    /// goes through the shared mapping of <see cref="HttpRetry.ThrowOnFailure"/>.
    /// </summary>
    private void ThrowOnFailureStatus(HttpResponseMessage response, string what)
    {
        if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.PartialContent)
        {
            return;
        }
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{Name}: {what}: {HttpRetry.Status(response)}: the file on the server is shorter than the bundle it started as");
        }
        Retry.ThrowOnFailure(response, $"{Name}: {what}");
        throw new UpdaterException(ExitCode.Io, $"{Name}: {what}: {HttpRetry.Status(response)}");
    }

    private void CheckIdentity(HttpResponseMessage response)
    {
        if (Identity.Difference(RemoteIdentity.Of(response)) is { } why)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{Name}: the bundle behind this URL changed during the transfer ({why}); nothing more is read from it: start the install again to fetch the new bundle");
        }
    }

    private void CheckContentLength(HttpResponseMessage response, long expected, string what)
    {
        if (response.Content.Headers.ContentLength is { } declared && declared != expected)
        {
            string hint = expected == Length ? $"the bundle was {Length} bytes when the transfer started" : $"that range is {expected} bytes";
            throw new UpdaterException(ExitCode.BadInput, $"{Name}: {what}: the server declares Content-Length {declared}, but {hint}: refusing the response");
        }
    }

    private void CheckBounds(long offset, long length)
    {
        // Written so that no sum can overflow: offsets and lengths come from a header not yet verified.
        if (offset < 0 || length < 0 || offset > Length || length > Length - offset)
        {
            throw new BundleFormatException($"{Name}: truncated: {length} bytes at offset {offset} lie beyond the end of the bundle ({Length} bytes)");
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from the body; a body that ends early is a transient failure (a dropped connection).</summary>
    internal static async Task ReadFullyAsync(Stream body, Memory<byte> buffer, long position, CancellationToken cancellationToken, TransferRate? rate = null)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = await body.ReadAsync(buffer[done..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException($"the connection closed at byte {position + done}, {buffer.Length - done} bytes short");
            }
            done += n;
            rate?.Received(n);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
        _deadline.Dispose();
        return ValueTask.CompletedTask;
    }
}
