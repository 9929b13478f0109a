// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace HealthCheck.Parsing;

/// <summary>
/// Durations as written in drop-ins: a number with a unit, <c>500ms</c>, <c>30s</c>, <c>2m</c> (also <c>min</c>,
/// <c>h</c>, <c>d</c>); a bare number means seconds, as in systemd unit files. Public, with a per-call ceiling,
/// so that a host reading its own INI files with <see cref="IniDocument"/> can write its durations the same way.
/// </summary>
public static class DurationParser
{
    private static readonly (string Suffix, double Milliseconds)[] Units =
    [
        // Longer suffixes first so that "ms" and "min" are not read as "s" and "m".
        ("min", 60_000), ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ];

    /// <param name="max">The longest accepted duration; by default a day, beyond which a health check deadline is a typo.</param>
    public static bool TryParse(string text, out TimeSpan duration, TimeSpan? max = null)
    {
        duration = default;
        var value = text.Trim();
        double factor = 1_000;
        foreach (var (suffix, milliseconds) in Units)
        {
            if (value.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                value = value[..^suffix.Length].TrimEnd();
                factor = milliseconds;
                break;
            }
        }

        if (value.Length == 0 || !char.IsAsciiDigit(value[0]) ||
            !double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var total = number * factor;
        if (total > (max ?? TimeSpan.FromDays(1)).TotalMilliseconds)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(total);
        return true;
    }
}
