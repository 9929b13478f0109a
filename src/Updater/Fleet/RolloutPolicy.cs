// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace Updater.Fleet;

/// <summary>
/// Decides on the device, from the signed channel alone, whether its turn for the release has come: not
/// when it already runs or holds the release, not when halted, not outside the group filter; otherwise
/// when its bucket is below the percentage of the wave in force.
/// </summary>
internal static class RolloutPolicy
{
    public static RolloutDecision Decide(ChannelDocument channel, DeviceFacts device, DateTimeOffset now)
    {
        string version = channel.Release.Version;
        var rollout = channel.Rollout;
        RolloutDecision Make(RolloutVerdict verdict, string reason) => new() { Verdict = verdict, Reason = reason, ReleaseVersion = version };

        if (device.BootedVersion == version)
        {
            return Make(RolloutVerdict.AlreadyInstalled, $"already on {version}");
        }
        bool holdsIt = device.OtherVersion == version;
        if (holdsIt && device.OtherAbandoned)
        {
            return Make(RolloutVerdict.RolledBack, $"{version} was rolled back on this device (slot {device.OtherBootname}); not installing it again");
        }
        if (rollout.Halted)
        {
            // Before "reboot to activate": a halt must reach a device that staged the release and awaits its reboot.
            return Make(RolloutVerdict.Halted, holdsIt && device.OtherStaged
                ? $"halted: the rollout of {version} on channel '{channel.Channel}' is stopped; the staged slot {device.OtherBootname} is cancelled"
                : $"halted: the rollout of {version} on channel '{channel.Channel}' is stopped");
        }
        if (holdsIt && device.OtherStaged)
        {
            return Make(RolloutVerdict.AwaitingReboot, $"{version} is installed in slot {device.OtherBootname}; reboot to activate");
        }
        if (rollout.Groups is { Count: > 0 } groups && (device.Group is null || !groups.Contains(device.Group, StringComparer.Ordinal)))
        {
            string which = string.Join(", ", groups);
            return Make(RolloutVerdict.NotInGroup, device.Group is null ? $"not in group {which} (this device has no [channel] group)" : $"not in group {which} (this device is in {device.Group})");
        }

        double bucket = RolloutBucket.Of(device.MachineId, version);
        var waves = rollout.Waves;
        int current = -1;
        for (int i = 0; i < waves.Count && waves[i].Start <= now; i++)
        {
            current = i;
        }
        if (current < 0)
        {
            return Make(RolloutVerdict.NotStarted, $"the rollout of {version} starts at {UtcMinute.Format(waves[0].Start)} with {Pct(waves[0].Percent)} % (wave 1)") with
            {
                Bucket = bucket,
                NextWaveStart = waves[0].Start,
                NextWavePercent = waves[0].Percent,
            };
        }
        var wave = waves[current];
        var next = current + 1 < waves.Count ? waves[current + 1] : null;
        var decision = new RolloutDecision
        {
            Verdict = bucket < wave.Percent ? RolloutVerdict.Install : RolloutVerdict.Waiting,
            Reason = "",
            ReleaseVersion = version,
            Bucket = bucket,
            Wave = current + 1,
            Percent = wave.Percent,
            NextWaveStart = next?.Start,
            NextWavePercent = next?.Percent,
        };
        string where = $"bucket {RolloutBucket.Display(bucket)}";
        string of = $"the {Pct(wave.Percent)} % of wave {current + 1}";
        if (decision.ShouldInstall)
        {
            return decision with { Reason = $"{where} is below {of}: installing {version}" };
        }
        string then = next is null ? ", the last wave" : $", which widens to {Pct(next.Percent)} % at {UtcMinute.Format(next.Start)}";
        return decision with { Reason = $"{where} is not below {of}{then}" };
    }

    private static string Pct(double percent) => percent.ToString("0.###", CultureInfo.InvariantCulture);
}
