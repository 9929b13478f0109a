// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Parsing;
using Partition.Bootloaders.Grub;
using Updater.Config;

namespace Updater.Tests.Config;

public class UpdaterConfigTests
{
    private const string Valid = """
        # reference-like configuration
        [system]
        compatible = acme-gateway
        bootloader = grub
        grub-env = /boot/efi/EFI/BOOT/grubenv
        state-dir = /var/lib/updater
        trust-root = /etc/updater/root.json

        [slot.rootfs.0]
        device = /dev/vda2
        bootname = A

        [slot.rootfs.1]
        device = /dev/vda3
        bootname = B
        """;

    [Fact]
    public void Parses_a_valid_configuration()
    {
        var config = UpdaterConfig.Parse(Valid, "update.conf");
        Assert.Equal("acme-gateway", config.Compatible);
        Assert.Equal("grub", config.Bootloader);
        Assert.Equal("/var/lib/updater", config.StateDirectory);
        Assert.Equal("auto", config.BootedSlot);
        Assert.Equal(["A", "B"], config.Slots.Bootnames);
        Assert.Equal("/dev/vda3", config.Slots.Find("rootfs", "B")!.Device);
        Assert.Equal("B", config.Slots.OtherBootname("A"));
        Assert.Equal(new GrubOptions("/boot/efi/EFI/BOOT/grubenv"), config.BootloaderOptions.Grub);
        Assert.Null(config.BootloaderOptions.UBoot);
    }

    [Theory]
    [InlineData("compatible = acme-gateway", "compatible = acme-gateway\ncolour = blue", "update.conf:4: unknown key 'colour' in [system]")]
    [InlineData("[slot.rootfs.1]", "[hook]\nx = 1\n[slot.rootfs.1]", "update.conf:13: unknown section [hook]")]
    [InlineData("compatible = acme-gateway\n", "", "update.conf:2: [system] needs key 'compatible'")]
    [InlineData("bootloader = grub", "bootloader = lilo", "update.conf:4: key 'bootloader': unknown bootloader \"lilo\"; supported: grub, uboot, systemd-boot")]
    [InlineData("bootloader = grub", "bootloader = grub\nuboot-env = /dev/mtd0", "update.conf:5: key 'uboot-env': is a setting of bootloader=uboot, but bootloader=grub")]
    [InlineData("state-dir = /var/lib/updater", "state-dir = var/lib", "update.conf:6: key 'state-dir' must be an absolute path, found 'var/lib'")]
    [InlineData("device = /dev/vda3", "device = /dev/vda2", "update.conf:13: device '/dev/vda2' is used by two slots")]
    [InlineData("bootname = B", "bootname = A", "update.conf:13: slot class 'rootfs' has two slots with bootname 'A'")]
    [InlineData("bootname = B", "bootname = B C", "update.conf:15: key 'bootname' is 'B C', but bootloader grub boots only A and B")]
    [InlineData("[slot.rootfs.1]", "[slot.rootfs]", "update.conf:13: malformed slot section [slot.rootfs]")]
    [InlineData("[slot.rootfs.1]", "[slot.rootfs.1", "update.conf:13: section header '[slot.rootfs.1' lacks its closing ']'")]
    [InlineData("device = /dev/vda3", "device = /dev/vda3\ndevice = /dev/vda4", "update.conf:15: key 'device': is given twice in [slot.rootfs.1] (first on line 14)")]
    [InlineData("device = /dev/vda3", "/dev/vda3", "update.conf:14: expected 'key = value', found '/dev/vda3'")]
    [InlineData("# reference-like configuration", "stray = 1", "update.conf:1: key 'stray': is outside any [section]")]
    [InlineData("[slot.rootfs.0]\ndevice = /dev/vda2\nbootname = A\n", "", "update.conf: slots must use exactly two bootnames")]
    [InlineData("[slot.rootfs.1]", "[slot.rootfs.0]", "update.conf:13: section [slot.rootfs.0] appears twice (first on line 9)")]
    [InlineData("trust-root = /etc/updater/root.json", "trust-root = /etc/updater/root.json\ndirect-io = maybe", "update.conf:8: key 'direct-io' is 'maybe', expected yes or no")]
    [InlineData("[slot.rootfs.1]", "[slot.rootfs.1]\n= B", "update.conf:14: a line starts with '=' and has no key")]
    [InlineData("trust-root = /etc/updater/root.json", "keyring = /etc/updater/keyring", "update.conf:7: key 'keyring' is gone: a flat keyring let any trusted key sign anything; name the signed root instead with trust-root = /etc/updater/root.json (docs/trust.md)")]
    [InlineData("[slot.rootfs.1]", "[slot.rootfs.1]\nboot name = B", "update.conf:14: malformed key 'boot name'")]
    [InlineData("bootname = B", "bootname = B\ntype = btrfs", "update.conf:16: key 'type' is 'btrfs', expected one of: raw, ext4, vfat")]
    [InlineData("bootname = B", "bootname = B\nresize = yes", "update.conf:16: key 'resize' grows an ext4 filesystem to its slot, but [slot.rootfs.1] has type raw")]
    [InlineData("bootname = B", "bootname = B\ntype = ext4", "update.conf:13: [slot.rootfs.1] has type ext4, but [slot.rootfs.0] of the same class has type raw")]
    public void Each_error_names_file_line_and_key(string find, string replace, string expected)
    {
        string text = Valid.Replace(find, replace, StringComparison.Ordinal);
        Assert.NotEqual(Valid, text);
        var e = Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(text, "update.conf"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCode.Config, e.ExitCode);
    }

    [Fact]
    public void Three_bootnames_are_not_an_AB_pair()
    {
        string text = Valid + "\n[slot.rootfs.2]\ndevice = /dev/vda4\nbootname = C\n";
        var e = Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(text, "update.conf"));
        Assert.Contains("exactly two bootnames", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_booted_slot_override_must_name_a_configured_bootname()
    {
        string text = Valid.Replace("trust-root = /etc/updater/root.json", "trust-root = /etc/updater/root.json\nbooted-slot = C", StringComparison.Ordinal);
        var e = Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(text, "update.conf"));
        Assert.StartsWith("update.conf:8: key 'booted-slot' is 'C'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_oversized_file_and_NUL_bytes_are_errors()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            Assert.Contains("no such file", Assert.Throws<ConfigException>(() => UpdaterConfig.Load(Path.Combine(dir, "nope.conf"))).Message, StringComparison.Ordinal);
            string big = Path.Combine(dir, "big.conf");
            File.WriteAllText(big, new string('#', IniDocument.MaxBytes + 1));
            Assert.Contains("larger than", Assert.Throws<ConfigException>(() => UpdaterConfig.Load(big)).Message, StringComparison.Ordinal);
            Assert.Contains("update.conf:4: control character \\0 in line 'bootloader = gr\\0ub'", Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(Valid.Replace("bootloader = grub", "bootloader = gr\0ub", StringComparison.Ordinal), "update.conf")).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_bootname_the_bootloader_cannot_boot_is_an_error_at_load()
    {
        string text = Valid.Replace("bootname = B", "bootname = system0", StringComparison.Ordinal);
        var e = Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(text, "update.conf"));
        Assert.StartsWith("update.conf:15: key 'bootname'", e.Message, StringComparison.Ordinal);
        Assert.Contains("system0", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("grub-env = /boot/efi/EFI/BOOT/grubenv\n", "", "update.conf:2: key 'grub-env': missing")]
    [InlineData("grub-env = /boot/efi/EFI/BOOT/grubenv", "grub-env = grubenv", "update.conf:5: key 'grub-env': \"grubenv\" is not an absolute path")]
    [InlineData("grub-env = /boot/efi/EFI/BOOT/grubenv", "grub-env = /e\ngrub-trial-tries = 10", "update.conf:6: key 'grub-trial-tries'")]
    public void The_bootloader_keys_are_checked_at_load(string find, string replace, string expected)
    {
        string text = Valid.Replace(find, replace, StringComparison.Ordinal);
        Assert.NotEqual(Valid, text);
        var e = Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(text, "update.conf"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Slot_type_and_resize_are_read_per_slot()
    {
        string text = Valid.Replace("bootname = A", "bootname = A\ntype = ext4\nresize = yes", StringComparison.Ordinal)
            .Replace("bootname = B", "bootname = B\ntype = ext4\nresize = yes", StringComparison.Ordinal);
        var config = UpdaterConfig.Parse(text, "update.conf");
        Assert.All(config.Slots.All, s => Assert.Equal((Partition.Filesystems.SlotType.Ext4, true), (s.Type, s.Resize)));
        Assert.All(UpdaterConfig.Parse(Valid, "update.conf").Slots.All, s => Assert.Equal((Partition.Filesystems.SlotType.Raw, false), (s.Type, s.Resize)));
    }

    [Fact]
    public void A_single_slot_is_refused_saying_why_and_what_to_do_instead()
    {
        string text = Valid + "\n[slot.bootloader.0]\ndevice = /dev/mmcblk0boot0\nbootname = A\n";
        var e = Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(text, "update.conf"));
        Assert.StartsWith("update.conf:16: slot class 'bootloader' has a single slot ([slot.bootloader.0]), and single slots are refused", e.Message, StringComparison.Ordinal);
        Assert.Contains("a power cut during the write leaves nothing to fall back to", e.Message, StringComparison.Ordinal);
        Assert.Contains("Give the class a slot for each of A and B", e.Message, StringComparison.Ordinal);
    }
}
