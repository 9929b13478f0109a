// SPDX-License-Identifier: Apache-2.0
using System.Text;
using Updater.Transport;

namespace Updater.Config;

/// <summary>
/// [channel] header-file: lines of <c>Name: value</c> (e.g. <c>Authorization: Bearer ...</c>), # comments and
/// blank lines. Strict, because every byte ends up on the wire: a name is an RFC 7230 token, a value is
/// printable ASCII (no CR, LF, NUL or other control character, so no header can be smuggled in), the file is
/// small, and headers the transport itself owns are refused. An error names file and line and never quotes a
/// value: the file holds secrets.
/// </summary>
internal static class HeaderFile
{
    public const int MaxBytes = 16 * 1024;
    public const int MaxHeaders = 32;

    /// <summary>
    /// Framing, conditional and range requests, encodings and the hop are the transport's: a header-file that set
    /// them would break a transfer or its checks (a Range on the channel fetch, gzip for bytes that are hashed).
    /// </summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding", "Connection", "Keep-Alive",
        "Proxy-Connection", "Upgrade", "TE", "Trailer", "Expect", "Range", "If-Range", "If-None-Match", "If-Match",
        "If-Modified-Since", "If-Unmodified-Since", "Accept-Encoding", "User-Agent",
    };

    /// <exception cref="ConfigException">The file is missing, unreadable, too large or has a bad line.</exception>
    public static IReadOnlyList<SecretHeader> Load(string path)
    {
        byte[] bytes = Read(path);
        var headers = new List<SecretHeader>();
        string[] lines = Encoding.Latin1.GetString(bytes).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            string where = $"{path}:{i + 1}";
            if (line.TrimStart(' ', '\t') is var content && (content.Length == 0 || content[0] == '#'))
            {
                continue;
            }
            if (line[0] is ' ' or '\t')
            {
                throw new ConfigException($"{where}: a line starts with white space (a folded header continuation): refused; write each header on one line as 'Name: value'");
            }
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new ConfigException($"{where}: expected 'Name: value' (e.g. 'Authorization: Bearer ...')");
            }
            string name = line[..colon];
            if (!name.All(IsTokenChar))
            {
                // Not quoted: a line that is not a header may well be the token itself.
                throw new ConfigException($"{where}: the header name is not a token (letters, digits and !#$%&'*+-.^_`|~ only, no space before the colon)");
            }
            string value = line[(colon + 1)..].Trim(' ', '\t');
            CheckBytes(where, value, $"the value of '{name}'");
            if (value.Length == 0)
            {
                throw new ConfigException($"{where}: header '{name}' has an empty value");
            }
            if (Reserved.Contains(name) || name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                throw new ConfigException($"{where}: header '{name}' is set by the updater's transport itself and cannot be configured");
            }
            if (headers.Any(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ConfigException($"{where}: header '{name}' is set twice");
            }
            if (headers.Count == MaxHeaders)
            {
                throw new ConfigException($"{where}: more than {MaxHeaders} headers");
            }
            headers.Add(new SecretHeader(name, value));
        }
        if (headers.Count == 0)
        {
            throw new ConfigException($"{path}: no header in the header-file");
        }
        return headers;
    }

    private static byte[] Read(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            var buffer = new byte[MaxBytes + 1];
            int total = 0;
            while (total < buffer.Length && file.Read(buffer, total, buffer.Length - total) is int n and > 0)
            {
                total += n;
            }
            if (total > MaxBytes)
            {
                throw new ConfigException($"{path}: a header-file has at most {MaxBytes} bytes");
            }
            return buffer[..total];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read the header-file: {e.Message}");
        }
    }

    /// <summary>CR, LF, NUL and other control characters would end or split a header on the wire: named, never shown.</summary>
    private static void CheckBytes(string where, string text, string what)
    {
        foreach (char c in text)
        {
            string? bad = c switch
            {
                '\r' => "a carriage return (CR; the file must have Unix line ends)",
                '\0' => "a NUL byte",
                '\t' => null,
                < ' ' or '\x7f' => $"control character 0x{(int)c:x2}",
                > '\x7e' => "a byte that is not ASCII",
                _ => null,
            };
            if (bad is not null)
            {
                throw new ConfigException($"{where}: {what} has {bad}: refused (header values are printable ASCII)");
            }
        }
    }

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
}
