// SPDX-License-Identifier: Apache-2.0
namespace TestSupport.Systemd;

/// <summary>
/// The update.conf of a device inside the container: GRUB, two file slots, the grubenv and the state directory
/// under /var/lib/updater (the dist/ units' StateDirectory=, writable in their sandbox), and a reboot command
/// that only leaves a mark, so a test sees that the verdict rebooted without the container going down.
/// </summary>
public static class ContainerUpdateConf
{
    /// <param name="bootedSlot">The slot the device runs: the container has no kernel command line of its own.</param>
    /// <param name="extraSystem">More [system] lines (a trust root, say).</param>
    /// <param name="extraSections">Whole sections after the slots ([channel], ...).</param>
    /// <param name="grubEnv">Where the grubenv is: on a device, on the ESP or in /boot, which the units protect.</param>
    public static string Text(string bootedSlot, string extraSystem = "", string extraSections = "", string grubEnv = "/var/lib/updater/grubenv") => $"""
        [system]
        compatible = container-test
        bootloader = grub
        grub-env = {grubEnv}
        state-dir = /var/lib/updater/state
        booted-slot = {bootedSlot}
        {extraSystem}

        [slot.rootfs.0]
        device = /var/lib/updater/slot-a.img
        bootname = A

        [slot.rootfs.1]
        device = /var/lib/updater/slot-b.img
        bootname = B

        {extraSections}

        [health]
        reboot-command = touch /var/lib/updater/reboot-requested

        """;
}
