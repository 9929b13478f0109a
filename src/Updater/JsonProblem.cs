// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Text.Json;

namespace Updater;

/// <summary>
/// Says where a JSON document from outside (a manifest, a channel, a state file) went wrong: the serializer's
/// reason (which names a duplicate key) and the position it stopped at, which its message leaves out for some
/// errors (duplicate keys among them). The serializer's message and path quote the document (a property name, a
/// value), which is hostile: both are escaped and bounded, so a rejection never echoes kilobytes of its input.
/// </summary>
internal static class JsonProblem
{
    /// <summary>Bound of the serializer's own message; the JSON path gets <see cref="MaxPathChars"/>.</summary>
    public const int MaxMessageChars = 300;

    public const int MaxPathChars = 100;

    /// <param name="documentOffset">Where the document starts in its file, so a one-line document gets a file offset.</param>
    public static string Describe(JsonException e, long documentOffset = 0)
    {
        // The serializer appends "Path: ... | LineNumber: ... | BytePositionInLine: ..." to some messages: the
        // position is said once, below, from the exception's own fields.
        string reason = e.Message;
        int appended = reason.IndexOf(" Path: ", StringComparison.Ordinal);
        string message = Text.SafeText.Escape((appended >= 0 ? reason[..appended] : reason).TrimEnd(), MaxMessageChars);
        if (e.BytePositionInLine is not { } column)
        {
            return message;
        }
        // Compact JSON is one line: its position in that line is its offset in the document.
        string where = e.LineNumber is 0 or null
            ? $"byte offset {documentOffset + column}"
            : $"line {e.LineNumber + 1}, byte {column} of that line";
        return string.Create(CultureInfo.InvariantCulture, $"{message.TrimEnd()} (at {where}, JSON path {Text.SafeText.Escape(e.Path ?? "$", MaxPathChars)})");
    }
}
