// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;

namespace Updater.Transport;

/// <summary>
/// Offers [channel]'s client certificate to a server that asks for one, and turns the stack's answer to a
/// refused one into a message that says so. Under TLS 1.3 a server that requires a certificate and gets none
/// (or one it does not accept) closes the connection after the handshake; the client only sees "the response
/// ended prematurely". This handler's certificate callback notes which hosts asked, so that such an ending can
/// be named for what it almost surely is.
/// </summary>
internal sealed class ClientCertificateHandler : DelegatingHandler
{
    private readonly X509Certificate2? _certificate;
    private readonly ConcurrentDictionary<string, bool> _asked = new(StringComparer.OrdinalIgnoreCase);

    public ClientCertificateHandler(SocketsHttpHandler inner, X509Certificate2? certificate)
        : base(inner)
    {
        _certificate = certificate;
        // Always the updater's pick: SslStream's own would drop the certificate when the server's list of
        // acceptable issuers does not name its CA, and the server would say nothing more than "required".
        inner.SslOptions.LocalCertificateSelectionCallback = Select;
    }

    private X509Certificate? Select(object sender, string targetHost, X509CertificateCollection local, X509Certificate? remote, string[] acceptableIssuers)
    {
        // On Linux, OpenSSL calls this only when the server sends a CertificateRequest.
        _asked[targetHost] = true;
        return _certificate;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ResponseEnded
            && request.RequestUri is { Scheme: "https", IdnHost: var host } && _asked.ContainsKey(host))
        {
            if (_certificate is null)
            {
                // Asking again will not make one appear: not transient.
                throw new HttpRequestException(HttpRequestError.SecureConnectionError,
                    $"{host} asks for a client certificate and closed the connection without answering: [channel] sets none (client-certificate, client-key)", e);
            }
            throw new HttpRequestException(e.HttpRequestError,
                $"{host} asked for a client certificate and closed the connection without answering after getting {_certificate.Subject}: does it trust the CA that issued it?", e);
        }
    }
}
