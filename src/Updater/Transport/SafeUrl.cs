// SPDX-License-Identifier: Apache-2.0
using System.Net.Http.Headers;
using System.Text;

namespace Updater.Transport;

/// <summary>
/// URLs as they may appear in messages and logs: user and password removed, and the query (signed CDN URLs
/// carry tokens there) replaced by a marker. Credentials in the URL become a Basic Authorization header.
/// </summary>
internal static class SafeUrl
{
    public static bool IsHttp(string location) =>
        location.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses an http(s) URL; a malformed one is a usage error whose message carries no credentials.</summary>
    public static Uri Parse(string location, string what)
    {
        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Host.Length == 0)
        {
            throw new UpdaterException(ExitCode.Usage, $"{what}: '{Redact(location)}' is not an http:// or https:// URL");
        }
        return uri;
    }

    public static string Redact(Uri uri)
    {
        var builder = new UriBuilder(uri) { UserName = "", Password = "" };
        if (builder.Query.Length > 0)
        {
            builder.Query = "(redacted)";
        }
        return builder.Uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.PathAndQuery, UriFormat.UriEscaped);
    }

    /// <summary>For text that may not even parse as a URL: cut everything between "://" and "@".</summary>
    public static string Redact(string location)
    {
        if (Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.Host.Length > 0)
        {
            return Redact(uri);
        }
        int scheme = location.IndexOf("://", StringComparison.Ordinal);
        int at = location.IndexOf('@', StringComparison.Ordinal);
        return scheme >= 0 && at > scheme ? location[..(scheme + 3)] + location[(at + 1)..] : location;
    }

    public static AuthenticationHeaderValue? BasicAuthorization(Uri uri)
    {
        if (uri.UserInfo.Length == 0)
        {
            return null;
        }
        string decoded = Uri.UnescapeDataString(uri.UserInfo);
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(decoded)));
    }
}
