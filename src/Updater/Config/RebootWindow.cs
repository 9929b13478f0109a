// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace Updater.Config;

/// <summary>
/// A daily window of UTC time in which an automatic reboot may happen, <c>HH:MM-HH:MM</c>; it may wrap past
/// midnight (<c>23:00-02:00</c>). UTC because a device's local time zone is not something to rely on.
/// </summary>
internal sealed record RebootWindow(TimeSpan Start, TimeSpan End)
{
    public bool Contains(DateTimeOffset time)
    {
        var t = time.UtcDateTime.TimeOfDay;
        return Start <= End ? t >= Start && t < End : t >= Start || t < End;
    }

    public static bool TryParse(string text, out RebootWindow window)
    {
        window = null!;
        string[] parts = text.Split('-');
        if (parts.Length != 2 || !TryTime(parts[0].Trim(), out var start) || !TryTime(parts[1].Trim(), out var end) || start == end)
        {
            return false;
        }
        window = new RebootWindow(start, end);
        return true;
    }

    private static bool TryTime(string text, out TimeSpan time) =>
        TimeSpan.TryParseExact(text, @"hh\:mm", CultureInfo.InvariantCulture, out time);

    public override string ToString() => $"{Start:hh\\:mm}-{End:hh\\:mm} UTC";
}
