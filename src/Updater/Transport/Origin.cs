// SPDX-License-Identifier: Apache-2.0
namespace Updater.Transport;

/// <summary>
/// Where a URL points as far as trust goes (RFC 6454): scheme, host and port. A redirect that keeps the origin
/// stays with the server the operator named; any other needs the operator's allow-list.
/// </summary>
internal sealed record Origin(string Scheme, string Host, int Port)
{
    public static Origin Of(Uri uri) => new(uri.Scheme.ToLowerInvariant(), uri.IdnHost.ToLowerInvariant(), uri.Port);

    /// <summary>
    /// Parses an allow-list entry: an http(s) URL with nothing but scheme, host and an optional port (a path,
    /// query or user would suggest a narrower rule than an origin is).
    /// </summary>
    public static bool TryParse(string text, out Origin? origin)
    {
        origin = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.Host.Length == 0 || uri.UserInfo.Length > 0 || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0
            || text.TrimEnd('/').Count(c => c == '/') > 2)
        {
            return false;
        }
        origin = Of(uri);
        return true;
    }

    public override string ToString() => Port == (Scheme == Uri.UriSchemeHttps ? 443 : 80) ? $"{Scheme}://{Host}" : $"{Scheme}://{Host}:{Port}";
}
