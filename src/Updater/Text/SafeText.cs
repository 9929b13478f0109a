// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Text;

namespace Updater.Text;

/// <summary>
/// The one escaping function for text that leaves the process for a reader that interprets bytes: the notify
/// socket (a newline starts a new assignment, so "x\nWATCHDOG=trigger" would be obeyed), the journal through
/// stderr with <c>SyslogLevelPrefix=</c> (a line starting with "&lt;0&gt;" is an emergency), and a terminal (ESC and
/// C1 CSI start control sequences that can rewrite the screen or the window title). Every string from outside
/// (server, bundle, channel, config, state files, exception messages that quote them) passes through here on its
/// way to one of those sinks.
/// <para>
/// Control characters become visible escapes (<c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\x1b</c>, <c>\x7f</c>, <c>\x85</c>), so an ANSI
/// sequence shows as text and does nothing. Unicode line and paragraph separators, bidirectional overrides and
/// lone surrogates are escaped as <c>\uXXXX</c>: they reorder or break lines on a terminal, or turn into bytes
/// that are not UTF-8. The backslash itself stays: the aim is that no byte of the input controls the sink,
/// not a reversible encoding, and doubling it would garble paths and patterns in ordinary messages.
/// </para>
/// <para>
/// The result is bounded: a reader with a line limit (journald splits at LineMax, 48 KiB by default, and the
/// remainder becomes a new entry whose first bytes the input chose) never sees a line the input made long.
/// </para>
/// </summary>
internal static class SafeText
{
    /// <summary>Bound of one log or terminal line: far below journald's LineMax, long enough for any message of ours.</summary>
    public const int MaxLine = 2048;

    /// <summary>Bound of a STATUS= field: `systemctl status` shows one line; more is noise on the notify socket.</summary>
    public const int MaxStatus = 256;

    private const string Cut = "...";

    /// <summary>The text with every control character escaped, at most <paramref name="maxLength"/> characters long.</summary>
    public static string Escape(string? text, int maxLength = MaxLine)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, Cut.Length + 8);
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        if (IsPlain(text) && text.Length <= maxLength)
        {
            return text;
        }

        var builder = new StringBuilder(Math.Min(text.Length, maxLength) + 16);
        int limit = maxLength - Cut.Length;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            int before = builder.Length;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                // A valid pair is one printable character; it is kept whole or not at all.
                builder.Append(c).Append(text[i + 1]);
                i++;
            }
            else
            {
                AppendEscaped(builder, c);
            }
            if (builder.Length > limit && (i + 1 < text.Length || builder.Length > maxLength))
            {
                // Cut at a character boundary, never inside an escape or a surrogate pair.
                builder.Length = before;
                builder.Append(Cut);
                return builder.ToString();
            }
        }
        return builder.ToString();
    }

    private static bool IsPlain(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (NeedsEscape(text[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static bool NeedsEscape(char c) =>
        c < 0x20 || c is >= '\x7f' and <= '\x9f' || c is '\u2028' or '\u2029' || c is >= '\u202a' and <= '\u202e' ||
        c is >= '\u2066' and <= '\u2069' || c is '\u200e' or '\u200f' or '\u061c' || c == '\ufeff' || char.IsSurrogate(c);

    private static void AppendEscaped(StringBuilder builder, char c)
    {
        if (!NeedsEscape(c))
        {
            builder.Append(c);
            return;
        }
        switch (c)
        {
            case '\n':
                builder.Append("\\n");
                break;
            case '\r':
                builder.Append("\\r");
                break;
            case '\t':
                builder.Append("\\t");
                break;
            case <= '\xff':
                builder.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                break;
            default:
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                break;
        }
    }
}
