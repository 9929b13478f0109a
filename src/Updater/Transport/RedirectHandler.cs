// SPDX-License-Identifier: Apache-2.0
using System.Net;

namespace Updater.Transport;

/// <summary>
/// Follows redirects by the updater's rules instead of HttpClient's (which go to any host, port or address,
/// and re-send a POST's body on 307/308): only for GET and HEAD; only to http(s); only to the origin that was
/// asked (scheme, host and port) or to one the operator allowed in [channel] http-redirect-origins; at most
/// <see cref="HttpTransportOptions.MaxRedirects"/> hops. Credentials go to the origin they were given for and
/// nowhere else. A refused redirect is one error naming where it pointed, and that place is never contacted.
/// </summary>
internal sealed class RedirectHandler : DelegatingHandler
{
    private readonly IReadOnlyList<Origin> _allowed;
    private readonly int _maxHops;

    public RedirectHandler(HttpMessageHandler inner, HttpTransportOptions options)
        : base(inner)
    {
        _allowed = options.RedirectOrigins;
        _maxHops = options.MaxRedirects;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var origin = Origin.Of(request.RequestUri!);
        var current = request;
        for (int hop = 0; ; hop++)
        {
            var response = await base.SendAsync(current, cancellationToken).ConfigureAwait(false);
            if (!IsRedirect(response.StatusCode))
            {
                return response;
            }
            HttpRequestMessage next;
            using (response)
            {
                next = Next(current, response, origin, hop);
            }
            if (!ReferenceEquals(current, request))
            {
                current.Dispose();
            }
            current = next;
        }
    }

    private HttpRequestMessage Next(HttpRequestMessage current, HttpResponseMessage response, Origin origin, int hop)
    {
        string from = $"{SafeUrl.Redact(current.RequestUri!)}: {HttpRetry.Status(response)}";
        if (current.Method != HttpMethod.Get && current.Method != HttpMethod.Head)
        {
            throw new UpdaterException(ExitCode.Io, $"{from}: redirects are not followed for a {current.Method} (its body is never sent again, nor anywhere else)");
        }
        if (response.Headers.Location is not { } location)
        {
            throw new UpdaterException(ExitCode.Io, $"{from}: a redirect without a usable Location header");
        }
        if (!Uri.TryCreate(current.RequestUri, location, out var target))
        {
            throw new UpdaterException(ExitCode.Io, $"{from}: a redirect to '{ServerText.Cap(location.OriginalString)}', which is not a URL");
        }
        if (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps)
        {
            throw new UpdaterException(ExitCode.Io, $"{from}: refused a redirect to a {ServerText.Cap(target.Scheme)}: URL (only http and https are followed)");
        }
        if (target.Host.Length == 0)
        {
            throw new UpdaterException(ExitCode.Io, $"{from}: refused a redirect to a URL without a host");
        }
        var to = Origin.Of(target);
        bool sameOrigin = to == origin;
        if (!sameOrigin && !_allowed.Contains(to))
        {
            throw new UpdaterException(ExitCode.Io, $"{from}: refused a redirect to another origin, {ServerText.Cap(to.ToString())} (redirects stay on {origin}; list the origins a download may be redirected to in [channel] http-redirect-origins)");
        }
        if (hop >= _maxHops)
        {
            throw new UpdaterException(ExitCode.Io, $"{from}: more than {_maxHops} redirects: giving up");
        }
        var next = new HttpRequestMessage(current.Method, target) { Version = current.Version, VersionPolicy = current.VersionPolicy };
        foreach (var header in current.Headers)
        {
            // Credentials from the configured URL belong to its origin; an allowed CDN gets the request without them.
            if (!sameOrigin && header.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            next.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        return next;
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;
}
