// SPDX-License-Identifier: Apache-2.0
using System.Net;

namespace Updater.Transport;

/// <summary>
/// The one way the updater makes an HttpClient: bytes exactly as served, timeouts owned by <see cref="HttpRetry"/>,
/// redirects by <see cref="RedirectHandler"/>'s rules, and [channel]'s transport identity (private CA, client
/// certificate, origin-bound headers) applied to every connection and request.
/// </summary>
internal static class UpdaterHttpClient
{
    public static HttpClient Create(HttpTransportOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // Bundle bytes are hashed as served: no transparent decompression.
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.RequestTimeout,
            // Never read what nobody asked for: an abandoned response closes its connection instead of being drained.
            MaxResponseDrainSize = 0,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            // HttpClient would follow any redirect anywhere (and re-send a POST body on 307): RedirectHandler decides.
            AllowAutoRedirect = false,
        };
        options.ServerTrust?.Apply(handler.SslOptions);
        HttpMessageHandler wire = new ClientCertificateHandler(handler, options.ClientCertificate);
        if (options.OriginHeaders is { } headers)
        {
            // Below the redirect handler: the origin rule is applied to each hop as it is sent.
            wire = new OriginHeadersHandler(wire, headers);
        }
        var client = new HttpClient(new RedirectHandler(wire, options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("updater/1");
        return client;
    }
}
