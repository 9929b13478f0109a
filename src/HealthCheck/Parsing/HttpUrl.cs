// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Parsing;

/// <summary>
/// The one parser for http(s) URLs the updater trusts (update.conf, channel files, health.d drop-ins, the bundle
/// source). System.Uri alone is not enough: on some inputs TryCreate throws (IndexOutOfRangeException was seen
/// from fuzzing), and it accepts URLs that a later <c>new Uri(...)</c> or the HTTP stack then refuses with a
/// UriFormatException. So the text is checked first (printable ASCII, bounded, no backslash, a host), Uri is
/// asked inside a guard, and its own canonical form must parse again the same way.
/// </summary>
public static class HttpUrl
{
    public const int MaxLength = 2048;

    public static bool IsHttp(string location) =>
        location.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>An absolute http:// or https:// URL with a host, or false; never throws.</summary>
    public static bool TryParse(string? text, out Uri uri)
    {
        uri = null!;
        if (text is null || text.Length is 0 or > MaxLength || !IsHttp(text) || text.Any(c => c is <= ' ' or >= '\u007f' or '\\'))
        {
            return false;
        }
        try
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps)
                || parsed.Host.Length == 0 || parsed.HostNameType is UriHostNameType.Unknown or UriHostNameType.Basic)
            {
                return false;
            }
            // What the transport and every later Uri will see: it must parse again, to the same thing.
            if (!Uri.TryCreate(parsed.AbsoluteUri, UriKind.Absolute, out var again) || again.AbsoluteUri != parsed.AbsoluteUri || again.Host != parsed.Host)
            {
                return false;
            }
            uri = parsed;
            return true;
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or FormatException or InvalidOperationException or OverflowException)
        {
            return false;
        }
    }

    /// <summary>A relative reference resolved against a parsed URL, with the same checks as <see cref="TryParse"/>; never throws.</summary>
    public static bool TryResolve(Uri baseUri, string reference, out Uri uri)
    {
        uri = null!;
        if (reference.Length > MaxLength || reference.Any(c => c is <= ' ' or >= '\u007f' or '\\'))
        {
            return false;
        }
        try
        {
            return Uri.TryCreate(baseUri, reference, out var resolved) && TryParse(resolved.AbsoluteUri, out uri);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or FormatException or InvalidOperationException or OverflowException)
        {
            return false;
        }
    }

    /// <summary>
    /// The URL as it may appear in messages and logs: no user or password, the query replaced by a marker, no
    /// fragment, at most <paramref name="maxChars"/> characters. A URL <see cref="TryParse"/> accepts is rebuilt
    /// from its parts; any other text is cut on the text alone, so no parser's opinion can let a secret through:
    /// everything before the last '@' anywhere goes but the scheme (a password may hold '/', '?' or '#'), then
    /// everything from the first '?' or '#'; control characters become '_'.
    /// </summary>
    public static string Redact(string location, int maxChars = 256) =>
        TryParse(location, out var uri) ? Redact(uri, maxChars) : RedactText(location, maxChars);

    public static string Redact(Uri uri, int maxChars = 256)
    {
        string text = uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped) + uri.AbsolutePath;
        return Bound(text, maxChars) + (uri.Query.Length > 0 ? "?(redacted)" : "");
    }

    private static string RedactText(string location, int maxChars)
    {
        // Nothing before the last '@' survives, except a scheme that has no '@' in it; then nothing from the first
        // '?' or '#' (wherever it is: before a "://" too).
        int scheme = location.IndexOf("://", StringComparison.Ordinal);
        int at = location.LastIndexOf('@');
        string text = at < 0 ? location
            : (scheme >= 0 && location.IndexOf('@') > scheme ? location[..(scheme + 3)] : "") + location[(at + 1)..];
        int cut = text.IndexOfAny(['?', '#']);
        bool hadQuery = cut >= 0 && text.IndexOf('?', cut) >= 0;
        if (cut >= 0)
        {
            text = text[..cut];
        }
        return Bound(text, maxChars) + (hadQuery ? "?(redacted)" : "");
    }

    private static string Bound(string text, int maxChars)
    {
        string shown = new(text.Select(c => c is < ' ' or '\u007f' ? '_' : c).ToArray());
        return shown.Length > maxChars ? shown[..maxChars] + "..." : shown;
    }
}
