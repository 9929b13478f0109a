// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HealthCheck.Running;

/// <summary>
/// A duration as a JSON number of seconds (<c>1.25</c>), under a name that ends in <c>_seconds</c>: the unit every
/// duration of the JSON output uses (docs/json.md), where the default "00:00:01.2500000" would make every reader
/// parse .NET's TimeSpan format.
/// </summary>
public sealed class SecondsJsonConverter : JsonConverter<TimeSpan>
{
    /// <summary>The longest duration read back: a health run is bounded by its deadline, far below this.</summary>
    private static readonly double MaxSeconds = TimeSpan.FromDays(365).TotalSeconds;

    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        double seconds = reader.GetDouble();
        if (!double.IsFinite(seconds) || seconds < 0 || seconds > MaxSeconds)
        {
            throw new JsonException($"a duration must be 0 to {MaxSeconds} seconds, not {seconds}");
        }
        return TimeSpan.FromSeconds(seconds);
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value.TotalSeconds);
}
