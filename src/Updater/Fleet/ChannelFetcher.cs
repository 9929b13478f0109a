// SPDX-License-Identifier: Apache-2.0
using System.Net;
using Updater.Transport;
using Updater.Trust;

namespace Updater.Fleet;

/// <summary>
/// Fetches the channel file from an http(s) URL with a conditional request (If-None-Match with the last
/// ETag), so an idle poll costs one small request and a 304; or reads it from a local path. The size is
/// capped before reading: a channel file is small, whatever the server claims.
/// </summary>
internal sealed class ChannelFetcher
{
    /// <summary>Longer than any ETag a real server sends (a quoted hash), short enough to store and send back.</summary>
    public const int MaxETagChars = 256;

    private readonly HttpClient _client;
    private readonly HttpRetry _retry;
    private readonly HttpTransportOptions _options;
    private readonly Uri? _uri;
    private readonly string? _path;

    public ChannelFetcher(string location, HttpClient client, HttpTransportOptions options)
    {
        _client = client;
        _options = options;
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

    /// <summary>
    /// Where the signed channel's <c>release.bundle_url</c> points. From a channel fetched over HTTP: an
    /// http(s) URL, or a reference relative to the channel's URL that stays on its origin and does not climb
    /// above the server's root; never a local path or another scheme (a file: URL would otherwise become a
    /// path relative to the working directory). From a channel read from a local path: an http(s) URL, an
    /// absolute path, or a path relative to the channel's directory; no other scheme.
    /// </summary>
    /// <exception cref="UpdaterException">The URL breaks these rules (bad input: the channel names it).</exception>
    public string ResolveBundle(string bundleUrl)
    {
        if (_uri is not null)
        {
            return ResolveAgainstUrl(_uri, bundleUrl);
        }
        if (SafeUrl.IsHttp(bundleUrl))
        {
            return SafeUrl.TryParse(bundleUrl, out _) ? bundleUrl : throw Refused(bundleUrl, "is not a valid http(s) URL");
        }
        if (HasScheme(bundleUrl))
        {
            throw Refused(bundleUrl, "names a scheme other than http or https; a local channel may name an http(s) URL or a local path");
        }
        return Path.IsPathRooted(bundleUrl) ? bundleUrl : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_path!))!, bundleUrl);
    }

    private string ResolveAgainstUrl(Uri channel, string bundleUrl)
    {
        if (SafeUrl.IsHttp(bundleUrl))
        {
            return SafeUrl.TryParse(bundleUrl, out _) ? bundleUrl : throw Refused(bundleUrl, "is not a valid http(s) URL");
        }
        if (HasScheme(bundleUrl))
        {
            throw Refused(bundleUrl, $"is a {ServerText.Cap(bundleUrl[..bundleUrl.IndexOf(':', StringComparison.Ordinal)])}: URL; a channel fetched over HTTP may name only http(s) URLs");
        }
        if (bundleUrl.StartsWith("//", StringComparison.Ordinal) || bundleUrl.Contains('\\', StringComparison.Ordinal))
        {
            throw Refused(bundleUrl, "is a network-path reference or has a backslash; name another server with a full http(s) URL");
        }
        if (!bundleUrl.StartsWith('/') && ClimbsAboveRoot(channel.AbsolutePath, bundleUrl))
        {
            throw Refused(bundleUrl, $"climbs above the root of {ServerText.Cap(Origin.Of(channel).ToString())} from {ServerText.Cap(channel.AbsolutePath)}");
        }
        if (!HealthCheck.Parsing.HttpUrl.TryResolve(channel, bundleUrl, out var resolved) || Origin.Of(resolved) != Origin.Of(channel))
        {
            throw Refused(bundleUrl, "does not resolve to a URL on the channel's server");
        }
        return resolved.AbsoluteUri;
    }

    /// <summary>More ".." segments than the channel's directory is deep: a reference the server's root would silently swallow.</summary>
    private static bool ClimbsAboveRoot(string channelPath, string relative)
    {
        int depth = channelPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Length - (channelPath.EndsWith('/') ? 0 : 1);
        foreach (string segment in relative.Split('?', '#')[0].Split('/'))
        {
            if (segment == "..")
            {
                if (--depth < 0)
                {
                    return true;
                }
            }
            else if (segment is not ("" or "."))
            {
                depth++;
            }
        }
        return false;
    }

    private static bool HasScheme(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 1 && char.IsAsciiLetter(text[0]) && text[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');
    }

    private UpdaterException Refused(string bundleUrl, string why) =>
        new(ExitCode.BadInput, $"{Name}: channel field 'release.bundle_url' '{ServerText.Cap(SafeUrl.Redact(bundleUrl))}' {why}: refusing it");

    public async Task<ChannelFetch> FetchAsync(string? ifNoneMatch, CancellationToken cancellationToken)
    {
        if (_path is not null)
        {
            return new ChannelFetch(ReadFile(_path), null, false);
        }
        return (await GetSmallFileAsync(_uri!, Name, "channel file", _retry, ifNoneMatch, notFoundIsNull: false, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Root files of the trust chain: N.root.json beside the channel file, on its server or in its directory.</summary>
    public IRootSource RootSource() => _uri is not null
        ? new HttpRootSource(this, _uri)
        : new DirectoryRootSource(Path.GetDirectoryName(Path.GetFullPath(_path!))!);

    private sealed class HttpRootSource(ChannelFetcher fetcher, Uri channel) : IRootSource
    {
        public async Task<byte[]?> FetchAsync(long version, CancellationToken cancellationToken)
        {
            string name = Name(version);
            var fetch = await fetcher.GetSmallFileAsync(new Uri(channel, IRootSource.FileName(version)), name, "root file", new HttpRetry(fetcher._options, name),
                null, notFoundIsNull: true, cancellationToken).ConfigureAwait(false);
            return fetch?.Bytes;
        }

        public string Name(long version) => SafeUrl.Redact(new Uri(channel, IRootSource.FileName(version)));
    }

    /// <summary>
    /// GETs a small signed file whole (a channel file, a root file) with retries: a 304 answers a conditional
    /// request, a 404 is null when <paramref name="notFoundIsNull"/> (a root version not published yet), any other
    /// status than 200 is an error, and at most <see cref="VerifiedChannel.MaxFileBytes"/> are read whatever the
    /// server claims.
    /// </summary>
    private async Task<ChannelFetch?> GetSmallFileAsync(Uri uri, string name, string kind, HttpRetry retry, string? ifNoneMatch, bool notFoundIsNull,
        CancellationToken cancellationToken)
    {
        return await retry.ExecuteAsync(async ct =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Authorization = SafeUrl.BasicAuthorization(_uri!);
            if (ifNoneMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
            }
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotModified && ifNoneMatch is not null)
            {
                return new ChannelFetch(null, ifNoneMatch, true);
            }
            if (response.StatusCode == HttpStatusCode.NotFound && notFoundIsNull)
            {
                return null;
            }
            retry.ThrowOnFailure(response, name);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                // Fetched whole: a 206 or 204 is not one.
                throw new UpdaterException(ExitCode.Io, $"{name}: {HttpRetry.Status(response)}, expected 200{(notFoundIsNull ? " or 404" : "")}");
            }
            if (response.Content.Headers.ContentLength is > VerifiedChannel.MaxFileBytes)
            {
                throw new UpdaterException(ExitCode.BadInput, $"{name}: the server announces {response.Content.Headers.ContentLength} bytes, more than a {kind} may have ({VerifiedChannel.MaxFileBytes})");
            }
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            byte[] bytes = await ReadCappedAsync(body, new TransferRate(_options, name), name, kind, ct).ConfigureAwait(false);
            if (response.Content.Headers.ContentLength is { } declared && declared != bytes.Length)
            {
                throw new IOException($"{name}: the body ended after {bytes.Length} of {declared} bytes");
            }
            // The ETag is kept in the state directory and sent back as If-None-Match: a longer one than any real
            // server uses is not kept (the next poll fetches the file whole), so its size is ours to bound.
            string? etag = response.Headers.ETag?.ToString();
            return new ChannelFetch(bytes, etag is { Length: <= MaxETagChars } ? etag : null, false);
        }, $"{name}: fetching the {kind}", cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadCappedAsync(Stream body, TransferRate rate, string name, string kind, CancellationToken cancellationToken)
    {
        rate.Opened();
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
            rate.Received(n);
        }
        throw new UpdaterException(ExitCode.BadInput, $"{name}: more than {VerifiedChannel.MaxFileBytes} bytes: not a {kind}; the rest was not read");
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
