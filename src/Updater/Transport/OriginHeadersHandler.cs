// SPDX-License-Identifier: Apache-2.0
namespace Updater.Transport;

/// <summary>
/// The last handler before the wire, below <see cref="RedirectHandler"/>: it sees every hop, so it decides per
/// request actually sent. To the headers' origin they are set (replacing any header of the same name); from a
/// request to any other origin their values are removed, even if an earlier hop or a caller copied them in.
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
            if (ours)
            {
                request.Headers.Remove(header.Name);
                // Validated when header-file was read (a token name, a value without CR, LF or NUL).
                request.Headers.TryAddWithoutValidation(header.Name, header.Value);
            }
            else if (request.Headers.TryGetValues(header.Name, out var values) && values.Any(v => v.Contains(header.Value, StringComparison.Ordinal)))
            {
                // Only our value goes: another origin's own header of that name (Basic credentials from its URL) stays.
                request.Headers.Remove(header.Name);
            }
        }
        return base.SendAsync(request, cancellationToken);
    }
}
