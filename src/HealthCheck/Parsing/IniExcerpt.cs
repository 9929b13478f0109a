// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Text;

namespace HealthCheck.Parsing;

/// <summary>
/// What an error message may show of a line or value read from a file: control and formatting characters
/// escaped (so that a hostile file cannot move the cursor, recolour or hide text on the operator's terminal or in
/// the journal), and at most <see cref="MaxChars"/> characters of it, with a note of how long it really was.
/// </summary>
public static class IniExcerpt
{
    /// <summary>Enough to recognise a line; a value longer than this is not worth reading back in an error.</summary>
    public const int MaxChars = 80;

    public static string Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var shown = new StringBuilder();
        foreach (var c in text.Length > MaxChars ? text[..MaxChars] : text)
        {
            if (char.IsControl(c) || char.GetUnicodeCategory(c) is UnicodeCategory.Format
                    or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate)
            {
                shown.Append(c switch
                {
                    '\t' => "\\t",
                    '\r' => "\\r",
                    '\0' => "\\0",
                    _ => c <= 0xff ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}",
                });
            }
            else if (c == '\\')
            {
                shown.Append("\\\\");
            }
            else
            {
                shown.Append(c);
            }
        }

        if (text.Length > MaxChars)
        {
            shown.Append(CultureInfo.InvariantCulture, $"... ({text.Length} characters, cut)");
        }

        return shown.ToString();
    }
}
