// SPDX-License-Identifier: Apache-2.0
using Updater.Device;

namespace Updater.Fleet;

/// <summary>What the rollout decision needs to know about this device.</summary>
/// <param name="BootedVersion">Version recorded for the booted side, null when unknown (a freshly flashed device).</param>
/// <param name="OtherVersion">Version of a complete image on the other side, null when none (or an install into it is unfinished).</param>
/// <param name="OtherAbandoned">The other side's install was rolled back (a recorded rollback or failed verdict: <see cref="Side.WasAbandoned"/>).</param>
/// <param name="OtherStaged">The other side holds a fresh install waiting for its trial boot.</param>
internal sealed record DeviceFacts(string MachineId, string? Group, string? BootedVersion, string OtherBootname, string? OtherVersion,
    bool OtherAbandoned, bool OtherStaged)
{
    /// <summary>
    /// The highest release the running side vouches for, over every slot class and the image's image-info (both
    /// views; <see cref="DeviceState.RunningReleaseFloor"/>): what a channel's release is compared with as a
    /// floor, never the first record found. Null when nothing records one.
    /// </summary>
    public string? RunningVersion { get; init; }

    public static DeviceFacts From(DeviceState device, string machineId, string? group)
    {
        var other = device.OtherSide;
        return new DeviceFacts(machineId, group, device.BootedSide.Version, other.Bootname,
            other.IsInstalling ? null : other.Version, other.WasAbandoned, device.Staged is not null)
        {
            RunningVersion = device.RunningReleaseFloor()?.Version.Text,
        };
    }
}
