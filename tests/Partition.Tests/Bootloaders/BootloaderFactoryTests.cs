// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.SystemdBoot;
using Partition.Bootloaders.UBoot;

namespace Partition.Tests.Bootloaders;

public sealed class BootloaderFactoryTests
{
    [Fact]
    public void Grub_keys_build_a_grub_backend()
    {
        var bootloader = BootloaderFactory.Create("grub", new Dictionary<string, string>
        {
            ["grub-env"] = "/boot/efi/EFI/BOOT/grubenv",
            ["grub-trial-tries"] = "2",
        });

        var grub = Assert.IsType<GrubBootloader>(bootloader);
        Assert.Equal("grub", grub.Name);
        Assert.Equal(new GrubOptions("/boot/efi/EFI/BOOT/grubenv", 2), grub.Options);
    }

    [Fact]
    public void Grub_trial_tries_default_to_one()
    {
        var options = BootloaderFactory.GrubOptionsFrom(new Dictionary<string, string> { ["grub-env"] = "/e/grubenv" });

        Assert.Equal(1, options.TrialTries);
    }

    [Fact]
    public void UBoot_keys_take_hex_and_decimal_numbers()
    {
        var bootloader = BootloaderFactory.Create("uboot", new Dictionary<string, string>
        {
            ["uboot-env"] = "/dev/mmcblk0",
            ["uboot-env-offset"] = "0x3e0000",
            ["uboot-env-size"] = "8192",
            ["uboot-env-redundant-offset"] = "0x3E2000",
        });

        var uboot = Assert.IsType<UBootBootloader>(bootloader);
        Assert.Equal("uboot", uboot.Name);
        Assert.Equal(new UBootOptions("/dev/mmcblk0", 0x3e0000, 0x2000, 0x3e2000, 3), uboot.Options);
    }

    [Fact]
    public void Systemd_boot_keys_build_a_systemd_boot_backend_with_defaults()
    {
        var bootloader = BootloaderFactory.Create("systemd-boot", new Dictionary<string, string> { ["systemd-boot-esp"] = "/efi" });

        var backend = Assert.IsType<SystemdBootloader>(bootloader);
        Assert.Equal("systemd-boot", backend.Name);
        Assert.Equal(new SystemdBootOptions("/efi", 3, "updater", "/sys/firmware/efi/efivars"), backend.Options);
        Assert.Equal("/efi/loader/entries", backend.Options.EntriesDirectory);
    }

    [Fact]
    public void Efi_keys_build_an_efi_backend_with_the_boot_numbers_as_efibootmgr_spells_them()
    {
        var bootloader = BootloaderFactory.Create("efi", new Dictionary<string, string> { ["efi-boot-a"] = "Boot0001", ["efi-boot-b"] = "000a" });

        var backend = Assert.IsType<Partition.Bootloaders.Efi.EfiBootloader>(bootloader);
        Assert.Equal("efi", backend.Name);
        Assert.Equal(new Partition.Bootloaders.Efi.EfiOptions(1, 10, "/sys/firmware/efi/efivars"), backend.Options);
    }

    public static TheoryData<string, Dictionary<string, string>, string> Bad => new()
    {
        { "efi", new() { ["efi-boot-b"] = "0002" }, "efi-boot-a" },
        { "efi", new() { ["efi-boot-a"] = "0001", ["efi-boot-b"] = "10002" }, "efi-boot-b" },
        { "efi", new() { ["efi-boot-a"] = "0001", ["efi-boot-b"] = "Boot0001" }, "efi-boot-b" },
        { "efi", new() { ["efi-boot-a"] = "0001", ["efi-boot-b"] = "0002", ["efi-efivars"] = "efivars" }, "efi-efivars" },
        { "efi", new() { ["efi-boot-a"] = "0001", ["efi-boot-b"] = "0002", ["efi-bootnext"] = "1" }, "efi-bootnext" },
        { "efi", new() { ["efi-boot-a"] = "0001", ["efi-boot-b"] = "0002", ["systemd-boot-esp"] = "/efi" }, "systemd-boot-esp" },
        { "systemd-boot", new(), "systemd-boot-esp" },
        { "systemd-boot", new() { ["systemd-boot-esp"] = "efi" }, "systemd-boot-esp" },
        { "systemd-boot", new() { ["systemd-boot-esp"] = "/efi", ["systemd-boot-entry-prefix"] = "My-OS" }, "systemd-boot-entry-prefix" },
        { "systemd-boot", new() { ["systemd-boot-esp"] = "/efi", ["systemd-boot-trial-tries"] = "10" }, "systemd-boot-trial-tries" },
        { "systemd-boot", new() { ["systemd-boot-esp"] = "/efi", ["grub-env"] = "/e" }, "grub-env" },
        { "grub", new() { ["grub-env"] = "/e", ["systemd-boot-esp"] = "/efi" }, "systemd-boot-esp" },
        { "bootloader", new() { ["grub-env"] = "/e" }, "bootloader" },
        { "grub", new(), "grub-env" },
        { "grub", new() { ["grub-env"] = "relative/grubenv" }, "grub-env" },
        { "grub", new() { ["grub-env"] = "/e", ["grub-trial-tries"] = "0" }, "grub-trial-tries" },
        { "grub", new() { ["grub-env"] = "/e", ["grub-trial-tries"] = "10" }, "grub-trial-tries" },
        { "grub", new() { ["grub-env"] = "/e", ["grub-trial-tries"] = "two" }, "grub-trial-tries" },
        { "grub", new() { ["grub-env"] = "/e", ["grub-envfile"] = "/e" }, "grub-envfile" },
        { "grub", new() { ["grub-env"] = "/e", ["uboot-env"] = "/dev/mmcblk0" }, "uboot-env" },
        { "uboot", new() { ["uboot-env-size"] = "0x2000" }, "uboot-env" },
        { "uboot", new() { ["uboot-env"] = "/dev/mtd1", ["uboot-env-size"] = "0x2000", ["uboot-env-single-copy"] = "yes" }, "uboot-env-single-copy" },
        { "uboot", new() { ["uboot-env"] = "/dev/mtd1", ["uboot-env-size"] = "0x2000", ["uboot-env-redundant-offset"] = "0x40000", ["uboot-env-single-copy"] = "accept-reset-on-power-cut" }, "uboot-env-single-copy" },
        { "uboot", new() { ["uboot-env"] = "/dev/mmcblk0" }, "uboot-env-size" },
        { "uboot", new() { ["uboot-env"] = "/dev/mmcblk0", ["uboot-env-size"] = "0x" }, "uboot-env-size" },
        { "uboot", new() { ["uboot-env"] = "/dev/mmcblk0", ["uboot-env-size"] = "4" }, "uboot-env-size" },
        { "uboot", new() { ["uboot-env"] = "/dev/mmcblk0", ["uboot-env-size"] = "0x2000", ["uboot-env-offset"] = "-1" }, "uboot-env-offset" },
        { "uboot", new() { ["uboot-env"] = "/dev/mmcblk0", ["uboot-env-size"] = "0x2000", ["uboot-env-redundant-offset"] = "0x1000" }, "uboot-env-redundant-offset" },
        { "uboot", new() { ["uboot-env"] = "/dev/mmcblk0", ["uboot-env-size"] = "0x2000", ["uboot-trial-tries"] = "10" }, "uboot-trial-tries" },
        { "uboot", new() { ["uboot-env"] = "/dev/mmcblk0", ["uboot-env-size"] = "0x2000", ["grub-env"] = "/e" }, "grub-env" },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void A_bad_key_is_one_error_naming_it(string backend, Dictionary<string, string> keys, string key)
    {
        var error = Assert.Throws<BootloaderConfigurationException>(() => BootloaderFactory.Create(backend, keys));

        Assert.Equal(key, error.Key);
        Assert.StartsWith($"{key}: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("[system]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_checked_once_build_the_backend_without_the_keys()
    {
        var options = BootloaderFactory.Options("uboot", new Dictionary<string, string>
        {
            ["uboot-env"] = "/dev/mmcblk0",
            ["uboot-env-size"] = "0x2000",
            ["uboot-env-redundant-offset"] = "0x2000",
        });

        Assert.Equal("uboot", options.Backend);
        Assert.Null(options.Grub);
        var uboot = Assert.IsType<UBootBootloader>(BootloaderFactory.Create(options));
        Assert.Equal(options.UBoot, uboot.Options);
        Assert.IsType<GrubBootloader>(BootloaderFactory.Create(BootloaderOptions.For(new GrubOptions("/e"))));
    }

    [Theory]
    [InlineData("grub")]
    [InlineData("uboot")]
    public void Each_backend_boots_the_slots_its_boot_script_knows(string backend)
    {
        Assert.Equal(["A", "B"], BootloaderFactory.Bootnames(backend));
    }

    [Fact]
    public void A_hostile_value_is_quoted_short_and_without_control_characters()
    {
        var error = Assert.Throws<BootloaderConfigurationException>(() => BootloaderFactory.Create("grub", new Dictionary<string, string>
        {
            ["grub-env"] = "\u001b[2J" + new string('x', 10 * 1024),
        }));

        Assert.True(error.Message.Length < 300, error.Message);
        Assert.DoesNotContain(error.Message, c => char.IsControl(c));
        Assert.Contains("(10244 characters, cut)", error.Problem, StringComparison.Ordinal);
    }
}
