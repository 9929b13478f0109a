// SPDX-License-Identifier: Apache-2.0
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Updater.Cli.Output;

/// <summary>
/// Prints one command's report in the format asked for. JSON and shell come from the same serialized document,
/// with <c>schema</c> as its first field, so the two can never name a field differently.
/// </summary>
internal static class ReportWriter
{
    public static void Write<T>(OutputFormat format, T report, JsonTypeInfo<T> typeInfo, string schema, Action<T> printText)
    {
        Write(Console.Out, format, report, typeInfo, schema, printText);
    }

    internal static void Write<T>(TextWriter output, OutputFormat format, T report, JsonTypeInfo<T> typeInfo, string schema, Action<T> printText)
    {
        switch (format)
        {
            case OutputFormat.Json:
                output.WriteLine(Json(report, typeInfo, schema));
                break;
            case OutputFormat.Shell:
                output.Write(ShellAssignments.Format(Document(report, typeInfo, schema)));
                break;
            default:
                printText(report);
                break;
        }
    }

    /// <summary>
    /// The report as indented JSON with <c>schema</c> first. The relaxed encoder leaves '+' of a time offset and
    /// non-ASCII letters as they are; quotes, backslashes and control characters are still escaped, so a hostile
    /// string cannot end its value or reach a terminal raw.
    /// </summary>
    public static string Json<T>(T report, JsonTypeInfo<T> typeInfo, string schema)
    {
        using var document = Document(report, typeInfo, schema);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            document.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static JsonDocument Document<T>(T report, JsonTypeInfo<T> typeInfo, string schema)
    {
        using var fields = JsonSerializer.SerializeToDocument(report, typeInfo);
        if (fields.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException($"a report must serialize to a JSON object, not {fields.RootElement.ValueKind}");
        }
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("schema", schema);
            foreach (var field in fields.RootElement.EnumerateObject())
            {
                field.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.ToArray());
    }
}
