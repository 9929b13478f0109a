// SPDX-License-Identifier: Apache-2.0
using Partition.Devices;

namespace Updater.Config;

/// <summary>
/// The state directory must outlive installs: on a filesystem of a configured slot device it would be overwritten
/// by the next install into that slot, or left behind on the old side when the device switches. Checked on the
/// nearest existing directory of the configured path (it may not exist yet).
/// </summary>
internal static class StateDirectoryPlacement
{
    public static void Check(UpdaterConfig config)
    {
        string probe = Path.GetFullPath(config.StateDirectory);
        while (!Directory.Exists(probe) && Path.GetDirectoryName(probe) is { } parent)
        {
            probe = parent;
        }
        ulong filesystem = DeviceIdentity.FilesystemDeviceOf(probe);
        foreach (var slot in config.Slots.All)
        {
            DeviceIdentity id;
            try
            {
                id = DeviceIdentity.Of(slot.Device);
            }
            catch (IOException)
            {
                // A missing or odd slot device is the installer's to report, with its own message.
                continue;
            }
            if (id.IsBlockDevice && id.RawDevice == filesystem)
            {
                throw new ConfigException($"{config.File}: [system] state-dir {config.StateDirectory} is on {slot.Device}, the device of slot {slot.Name}: " +
                    "an install would overwrite it or leave it behind on the other side; put it on a partition no slot uses (e.g. /data or /var/lib on its own partition)");
            }
        }
    }
}
