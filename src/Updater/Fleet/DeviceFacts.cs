using Updater.Device;

namespace Updater.Fleet;

/// <summary>What the rollout decision needs to know about this device.</summary>
/// <param name="BootedVersion">Version recorded for the booted side, null when unknown (a freshly flashed device).</param>
/// <param name="OtherVersion">Version of a complete image on the other side, null when none.</param>
/// <param name="OtherBad">The bootloader has the other side marked bad (a failed trial: a rollback).</param>
internal sealed record DeviceFacts(string MachineId, string? Group, string? BootedVersion, string OtherBootname, string? OtherVersion, bool OtherBad)
{
    public static DeviceFacts From(DeviceState device, string machineId, string? group)
    {
        var other = device.OtherSide;
        return new DeviceFacts(machineId, group, device.BootedSide.Version, other.Bootname,
            other.IsInstalling ? null : other.Version, other.IsMarkedBad);
    }
}
