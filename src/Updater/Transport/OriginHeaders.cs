// SPDX-License-Identifier: Apache-2.0
namespace Updater.Transport;

/// <summary>One header of [channel] header-file: a credential, so its value is never shown.</summary>
internal sealed record SecretHeader(string Name, string Value)
{
    public override string ToString() => $"{Name}: (redacted)";
}

/// <summary>
/// [channel] header-file's headers (a bearer token, an API key) and the one origin they belong to: the channel
/// URL's. They go to that origin and nowhere else (not to a CDN a download is redirected to, not to a bundle on
/// another host), and their values never appear in a message: <see cref="Redact"/> is applied where transport
/// errors and retry lines are made, in case a server echoes a token back.
/// </summary>
internal sealed class OriginHeaders
{
    /// <summary>Pieces shorter than this are words ("Bearer", "Token"), not secrets worth hiding in text.</summary>
    private const int MinSecretChars = 8;

    /// <summary>The shortest start of a secret, cut off in a message, that is still taken out.</summary>
    private const int MinCutChars = 4;

    private const string Redacted = "(redacted)";

    private readonly string[] _secrets;

    public OriginHeaders(Origin origin, IReadOnlyList<SecretHeader> headers)
    {
        Origin = origin;
        Headers = headers;
        // The whole value and each long piece of it ("Bearer abc..." is echoed as "abc..." as often as whole).
        _secrets = headers.SelectMany(h => h.Value.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries).Prepend(h.Value))
            .Where(s => s.Length >= MinSecretChars).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ToArray();
    }

    public Origin Origin { get; }

    public IReadOnlyList<SecretHeader> Headers { get; }

    public bool IsFor(Uri uri) => Origin.Of(uri) == Origin;

    /// <summary><paramref name="text"/> with every header value (and long piece of one) replaced by "(redacted)".</summary>
    public string Redact(string text)
    {
        foreach (string secret in _secrets)
        {
            // Ignoring case: an echo may have been lower-cased on the way (a host name in a redirect).
            text = text.Replace(secret, Redacted, StringComparison.OrdinalIgnoreCase);
        }
        int cut = text.IndexOf(ServerText.CutMarker, StringComparison.Ordinal);
        if (cut > 0)
        {
            // ServerText.Cap may have cut an echoed secret part way: what is left of it ends right at the marker.
            foreach (string secret in _secrets)
            {
                for (int length = secret.Length - 1; length >= MinCutChars; length--)
                {
                    if (cut >= length && text.AsSpan(cut - length, length).Equals(secret.AsSpan(0, length), StringComparison.OrdinalIgnoreCase))
                    {
                        text = string.Concat(text.AsSpan(0, cut - length), Redacted, text.AsSpan(cut));
                        cut = cut - length + Redacted.Length;
                        break;
                    }
                }
            }
        }
        return text;
    }
}
