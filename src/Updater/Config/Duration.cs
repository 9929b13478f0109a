// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using HealthCheck.Parsing;

namespace Updater.Config;

/// <summary>
/// A duration key of update.conf with its range: the syntax is the drop-ins' (<see cref="DurationParser"/>:
/// <c>500ms</c>, <c>90s</c>, <c>15m</c>, <c>6h</c>, <c>1d</c>; a bare number is seconds), one for the whole file.
/// </summary>
internal static class Duration
{
    public static TimeSpan Read(SectionReader reader, string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        var entry = reader.Entry(key);
        if (entry is null || entry.Value.Length == 0)
        {
            return fallback;
        }
        if (!DurationParser.TryParse(entry.Value, out var value, max) || value < min)
        {
            throw new ConfigException($"{entry.Where}: key '{key}' is '{SectionReader.Shown(entry)}', expected a duration such as 90s, 15m, 6h or 1d from {Show(min)} to {Show(max)}");
        }
        return value;
    }

    private static string Show(TimeSpan t) => t.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + "s";
}
