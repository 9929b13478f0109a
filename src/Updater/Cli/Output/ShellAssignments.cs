// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Text;
using System.Text.Json;
using Updater.Text;

namespace Updater.Cli.Output;

/// <summary>
/// <c>--output-format shell</c>: the JSON document as one <c>UPDATER_NAME='value'</c> line per leaf, for
/// <c>eval "$(updater status --output-format shell)"</c> in scripts without jq. Names are the JSON path in upper
/// case joined by <c>_</c> (array items by index, with <c>NAME_COUNT</c> for each array); every value is single
/// quoted, so nothing in it (a version, a server's reason) is expanded by the shell, and control characters are
/// escaped as in the text output, so each assignment stays one line.
/// </summary>
internal static class ShellAssignments
{
    public const string Prefix = "UPDATER";

    /// <summary>A value longer than this is cut (with "..."): the longest fields are messages, bounded like log lines.</summary>
    private const int MaxValue = 16 * 1024;

    public static string Format(JsonDocument document)
    {
        var text = new StringBuilder();
        Append(text, Prefix, document.RootElement);
        return text.ToString();
    }

    private static void Append(StringBuilder text, string name, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var field in value.EnumerateObject())
                {
                    Append(text, $"{name}_{Name(field.Name)}", field.Value);
                }
                break;
            case JsonValueKind.Array:
                int index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Append(text, string.Create(CultureInfo.InvariantCulture, $"{name}_{index}"), item);
                    index++;
                }
                Assign(text, $"{name}_COUNT", index.ToString(CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.String:
                Assign(text, name, value.GetString()!);
                break;
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                break;
            default:
                // Numbers as JSON wrote them (invariant, no exponent surprises), true/false as words.
                Assign(text, name, value.GetRawText());
                break;
        }
    }

    /// <summary>A JSON field name as a shell name: letters, digits and '_' only, upper case.</summary>
    internal static string Name(string field)
    {
        var name = new StringBuilder(field.Length);
        foreach (char c in field)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        }
        return name.ToString();
    }

    private static void Assign(StringBuilder text, string name, string value)
    {
        string safe = SafeText.Escape(value, MaxValue).Replace("'", "'\\''", StringComparison.Ordinal);
        text.Append(name).Append("='").Append(safe).Append("'\n");
    }
}
