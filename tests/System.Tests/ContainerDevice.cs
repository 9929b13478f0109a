// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace System.Tests;

/// <summary>
/// One device's directory in the systemd container, as the container sees it and as the host reaches it: the
/// published binary under /opt/updater, two file slots, a grubenv on B's trial boot (its try counted), one check.
/// </summary>
internal sealed record ContainerDevice(string HostRoot, string Location)
{
    private const string BinaryDir = "/opt/updater";

    /// <summary>The published `updater` inside the container.</summary>
    public const string Updater = BinaryDir + "/updater";

    public string Inside(string relative) => $"{Location}/{relative}";

    public string OnHost(string relative) => $"{HostRoot}{Location}/{relative}";

    /// <summary>A device in the container: two file slots, a grubenv on B's trial boot (its try counted), one check.</summary>
    public static async Task<ContainerDevice> CreateAsync(SystemdContainer container, string name, string unit)
    {
        string hostBinary = $"/proc/{container.LeaderPid.ToString(CultureInfo.InvariantCulture)}/root{BinaryDir}";
        if (!File.Exists(Path.Combine(hostBinary, "updater")))
        {
            Directory.CreateDirectory(hostBinary);
            foreach (var file in new[] { "updater", "libMonoPosixHelper.so", "libsodium.so" })
            {
                File.Copy(Path.Combine(HostRequirements.UpdaterBinaryDirectory, file), Path.Combine(hostBinary, file));
            }
        }

        var device = new ContainerDevice($"/proc/{container.LeaderPid.ToString(CultureInfo.InvariantCulture)}/root", $"/var/lib/updater-it/{name}");
        Directory.CreateDirectory(device.OnHost("health.d"));
        foreach (var slot in new[] { "slot-a.img", "slot-b.img" })
        {
            await File.WriteAllBytesAsync(device.OnHost(slot), new byte[1 << 20]);
        }

        // What `updater install` and then GRUB leave for B's first boot: B first, on a trial of one try, counted.
        GrubEnvFile.Create(device.OnHost("grubenv")).Set("ORDER=B A", "A_OK=1", "A_TRY=0", "A_TRIAL=0", "B_OK=1", "B_TRY=1", "B_TRIAL=1");
        await File.WriteAllTextAsync(device.OnHost("health.d/10-unit.conf"), $"""
            [check.unit]
            type = systemd-unit
            unit = {unit}
            timeout = 5s

            """);
        await File.WriteAllTextAsync(device.OnHost("update.conf"), $"""
            [system]
            compatible = container-test
            bootloader = grub
            grub-env = {device.Inside("grubenv")}
            state-dir = {device.Inside("state")}
            trust-root = {device.Inside("root.json")}
            booted-slot = B

            [slot.rootfs.0]
            device = {device.Inside("slot-a.img")}
            bootname = A

            [slot.rootfs.1]
            device = {device.Inside("slot-b.img")}
            bootname = B

            [health]
            checks-dir = {device.Inside("health.d")}
            reboot-command = cp {device.Inside("grubenv")} {device.Inside("grubenv-at-reboot")} && cp {device.Inside("state/health-failure.json")} {device.Inside("failure-at-reboot.json")}
            timeout = 30s

            """);
        return device;
    }
}
