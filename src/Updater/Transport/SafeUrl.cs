// SPDX-License-Identifier: Apache-2.0
using System.Net.Http.Headers;
using System.Text;
using HealthCheck.Parsing;

namespace Updater.Transport;

/// <summary>
/// URLs as they may appear in messages and logs: user and password removed, and the query (signed CDN URLs
/// carry tokens there) replaced by a marker. Credentials in the URL become a Basic Authorization header.
/// Parsing and redaction are <see cref="HttpUrl"/>'s, the one URL parser the updater trusts.
/// </summary>
internal static class SafeUrl
{
    public static bool IsHttp(string location) => HttpUrl.IsHttp(location);

    /// <summary>Parses an http(s) URL; a malformed one is a usage error whose message carries no credentials.</summary>
    public static Uri Parse(string location, string what) =>
        HttpUrl.TryParse(location, out var uri) ? uri : throw new UpdaterException(ExitCode.Usage, $"{what}: '{Redact(location)}' is not an http:// or https:// URL");

    public static bool TryParse(string location, out Uri uri) => HttpUrl.TryParse(location, out uri);

    public static string Redact(Uri uri) => HttpUrl.Redact(uri);

    /// <summary>For text that may not even parse as a URL.</summary>
    public static string Redact(string location) => HttpUrl.Redact(location);

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
