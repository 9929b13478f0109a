// SPDX-License-Identifier: Apache-2.0
using Updater.Fleet;
using Updater.State;

namespace Updater.Clock;

/// <summary>
/// One reading of <see cref="TrustedClock"/>: the "now" to judge expiry and rollout waves by, the device clock it
/// came from, and the newest signed time that bounds it (null: none accepted yet).
/// </summary>
internal sealed record ClockReading(DateTimeOffset Now, DateTimeOffset Wall, SignedTimeRecord? Newest, ClockMode Mode)
{
    /// <summary>The device clock was behind the newest signed time, and "now" was raised to that time.</summary>
    public bool Corrected => Mode == ClockMode.Wall && Newest is { } newest && newest.Time > Wall;

    /// <summary>Null when "now" is the device clock as it is; otherwise which time is used instead, and why.</summary>
    public string? Correction => Mode switch
    {
        ClockMode.Signed when Newest is { } n =>
            $"[system] clock = signed: using the newest signed time {UtcMinute.Format(n.Time)} from {n.Source} (the device clock says {UtcMinute.Format(Wall)})",
        ClockMode.Signed => $"[system] clock = signed: no signed time accepted yet, using {UtcMinute.Format(Now)} (the device clock says {UtcMinute.Format(Wall)})",
        _ when Corrected => $"the device clock says {UtcMinute.Format(Wall)}, the newest signed time is {UtcMinute.Format(Newest!.Time)} from {Newest.Source}: using {UtcMinute.Format(Newest.Time)}",
        _ => null,
    };

    /// <summary>"Now" for an error message: the device clock's time, or the correction that replaced it.</summary>
    public string Describe() => Correction ?? $"the device clock says {UtcMinute.Format(Wall)}";
}
