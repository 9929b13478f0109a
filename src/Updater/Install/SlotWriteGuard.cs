// SPDX-License-Identifier: Apache-2.0
using Partition.Devices;
using Partition.Slots;

namespace Updater.Install;

/// <summary>
/// Invariant 1: the booted slot is never written. Checked by bootname and again by what the devices really
/// are, so two names for one disk (a symlink, /dev/disk/by-*) or a slot on the disk that holds / cannot slip
/// through a configuration mistake.
/// </summary>
internal static class SlotWriteGuard
{
    public static void Check(Slot target, string bootedBootname, SlotSet slots, string rootPath = "/")
    {
        if (target.Bootname == bootedBootname)
        {
            throw new UpdaterException(ExitCode.Refused, $"refusing to write slot {target.Name} ({target.Device}): it is the booted slot {bootedBootname}");
        }
        var targetId = DeviceIdentity.Of(target.Device);
        foreach (var booted in slots.All.Where(s => s.Bootname == bootedBootname))
        {
            if (File.Exists(booted.Device) && DeviceIdentity.Of(booted.Device).SameStorageAs(targetId))
            {
                throw new UpdaterException(ExitCode.Refused, $"refusing to write slot {target.Name}: {target.Device} is the same storage as booted slot {booted.Name} ({booted.Device})");
            }
        }
        if (targetId.IsBlockDevice && targetId.RawDevice == DeviceIdentity.FilesystemDeviceOf(rootPath))
        {
            throw new UpdaterException(ExitCode.Refused, $"refusing to write slot {target.Name}: {target.Device} holds the running root filesystem");
        }
    }
}
