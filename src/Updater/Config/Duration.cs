using System.Globalization;

namespace Updater.Config;

/// <summary>Durations in update.conf: a number with a unit, <c>90s</c>, <c>15m</c>, <c>6h</c>, <c>1d</c>; a bare number is seconds.</summary>
public static class Duration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        if (text.Length == 0)
        {
            return false;
        }
        char unit = text[^1];
        double scale = unit switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, _ => 0 };
        string number = scale == 0 ? text : text[..^1];
        if (scale == 0)
        {
            scale = 1;
        }
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n) || n < 0 || n * scale > TimeSpan.FromDays(365).TotalSeconds)
        {
            return false;
        }
        value = TimeSpan.FromSeconds(n * scale);
        return true;
    }

    public static TimeSpan Read(SectionReader reader, string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        var entry = reader.Entry(key);
        if (entry is null || entry.Value.Length == 0)
        {
            return fallback;
        }
        if (!TryParse(entry.Value, out var value) || value < min || value > max)
        {
            throw new ConfigException($"{entry.Where}: key '{key}' is '{entry.Value}', expected a duration such as 90s, 15m, 6h or 1d from {Show(min)} to {Show(max)}");
        }
        return value;
    }

    private static string Show(TimeSpan t) => t.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + "s";
}
