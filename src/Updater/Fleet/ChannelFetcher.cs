using System.Net;
using Updater.Transport;

namespace Updater.Fleet;

/// <summary>
/// Fetches the channel file from an http(s) URL with a conditional request (If-None-Match with the last
/// ETag), so an idle poll costs one small request and a 304; or reads it from a local path. The size is
/// capped before reading: a channel file is small, whatever the server claims.
/// </summary>
internal sealed class ChannelFetcher
{
    private readonly HttpClient _client;
    private readonly HttpRetry _retry;
    private readonly Uri? _uri;
    private readonly string? _path;

    public ChannelFetcher(string location, HttpClient client, HttpTransportOptions options)
    {
        _client = client;
        _retry = new HttpRetry(options, SafeUrl.IsHttp(location) ? SafeUrl.Redact(location) : location);
        if (SafeUrl.IsHttp(location))
        {
            _uri = SafeUrl.Parse(location, "channel");
            Name = SafeUrl.Redact(_uri);
        }
        else
        {
            _path = location;
            Name = location;
        }
    }

    public string Name { get; }

    /// <summary>Where relative bundle URLs in the channel are resolved from.</summary>
    public string ResolveBundle(string bundleUrl)
    {
        if (SafeUrl.IsHttp(bundleUrl))
        {
            return bundleUrl;
        }
        if (_uri is not null)
        {
            return new Uri(_uri, bundleUrl).AbsoluteUri;
        }
        return Path.IsPathRooted(bundleUrl) ? bundleUrl : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_path!))!, bundleUrl);
    }

    public async Task<ChannelFetch> FetchAsync(string? ifNoneMatch, CancellationToken cancellationToken)
    {
        if (_path is not null)
        {
            return new ChannelFetch(ReadFile(_path), null, false);
        }
        return await _retry.ExecuteAsync(async ct =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _uri);
            request.Headers.Authorization = SafeUrl.BasicAuthorization(_uri!);
            if (ifNoneMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
            }
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return new ChannelFetch(null, ifNoneMatch, true);
            }
            _retry.ThrowOnFailure(response, Name);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                // A channel file is fetched whole: a 206 or 204 is not one.
                throw new UpdaterException(ExitCode.Io, $"{Name}: {HttpRetry.Status(response)}, expected 200");
            }
            if (response.Content.Headers.ContentLength is > VerifiedChannel.MaxFileBytes)
            {
                throw new UpdaterException(ExitCode.BadInput, $"{Name}: the server announces {response.Content.Headers.ContentLength} bytes, more than a channel file may have ({VerifiedChannel.MaxFileBytes})");
            }
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            byte[] bytes = await ReadCappedAsync(body, ct).ConfigureAwait(false);
            if (response.Content.Headers.ContentLength is { } declared && declared != bytes.Length)
            {
                throw new IOException($"{Name}: the body ended after {bytes.Length} of {declared} bytes");
            }
            return new ChannelFetch(bytes, response.Headers.ETag?.ToString(), false);
        }, $"{Name}: fetching the channel", cancellationToken).ConfigureAwait(false);
    }

    private async Task<byte[]> ReadCappedAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[VerifiedChannel.MaxFileBytes + 1];
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await body.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return buffer[..total];
            }
            total += n;
        }
        throw new UpdaterException(ExitCode.BadInput, $"{Name}: more than {VerifiedChannel.MaxFileBytes} bytes: not a channel file; the rest was not read");
    }

    private static byte[] ReadFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > VerifiedChannel.MaxFileBytes)
            {
                throw new UpdaterException(ExitCode.BadInput, $"{path}: {info.Length} bytes is too large for a channel file (at most {VerifiedChannel.MaxFileBytes})");
            }
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UpdaterException(ExitCode.Io, $"{path}: cannot read the channel file: {e.Message}");
        }
    }
}
