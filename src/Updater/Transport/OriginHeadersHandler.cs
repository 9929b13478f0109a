// SPDX-License-Identifier: Apache-2.0
namespace Updater.Transport;

/// <summary>
/// The last handler before the wire, below <see cref="RedirectHandler"/>: it sees every hop, so it decides per
/// request actually sent. To the headers' origin they are set (replacing any header of the same name); to any
/// other origin they are removed, even if an earlier hop or a caller copied them into the request.
/// </summary>
internal sealed class OriginHeadersHandler : DelegatingHandler
{
    private readonly OriginHeaders _headers;

    public OriginHeadersHandler(HttpMessageHandler inner, OriginHeaders headers)
        : base(inner)
    {
        _headers = headers;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        bool ours = _headers.IsFor(request.RequestUri!);
        foreach (var header in _headers.Headers)
        {
            request.Headers.Remove(header.Name);
            if (ours)
            {
                // Validated when header-file was read (a token name, a value without CR, LF or NUL).
                request.Headers.TryAddWithoutValidation(header.Name, header.Value);
            }
        }
        return base.SendAsync(request, cancellationToken);
    }
}
