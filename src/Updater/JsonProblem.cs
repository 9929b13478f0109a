// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Text.Json;

namespace Updater;

/// <summary>
/// Says where a JSON document from outside (a manifest, a channel, a state file) went wrong: the serializer's
/// reason (which names a duplicate key) and the position it stopped at, which its message leaves out for some
/// errors (duplicate keys among them).
/// </summary>
internal static class JsonProblem
{
    /// <param name="documentOffset">Where the document starts in its file, so a one-line document gets a file offset.</param>
    public static string Describe(JsonException e, long documentOffset = 0)
    {
        string message = e.Message;
        if (e.BytePositionInLine is not { } column || message.Contains("BytePositionInLine", StringComparison.Ordinal))
        {
            return message;
        }
        // Compact JSON is one line: its position in that line is its offset in the document.
        string where = e.LineNumber is 0 or null
            ? $"byte offset {documentOffset + column}"
            : $"line {e.LineNumber + 1}, byte {column} of that line";
        return string.Create(CultureInfo.InvariantCulture, $"{message.TrimEnd()} (at {where}, JSON path {e.Path ?? "$"})");
    }
}
