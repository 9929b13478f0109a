// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;
using Partition.Bootloaders.UBoot;
using Partition.Tests.Support;

namespace Partition.Tests.Bootloaders;

/// <summary>
/// The U-Boot environment at an offset of a real block device (a loop device; the tests run as root), as on an
/// eMMC: we write, fw_printenv reads through the device, and the other way round.
/// </summary>
public sealed class UBootBlockDeviceTests : IAsyncLifetime
{
    private const long First = 0x3e000;
    private const long Second = 0x40000;
    private const int Size = 0x2000;

    private readonly TempDirectory _dir = new();
    private string _device = "";

    public async Task InitializeAsync()
    {
        string backing = _dir.Path("disk.img");
        await using (var file = File.Create(backing))
        {
            file.SetLength(1024 * 1024);
        }

        _device = (await ProcessRunner.RunCheckedAsync("losetup", "--find", "--show", backing)).Stdout.Trim();
        Assert.StartsWith("/dev/loop", _device, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_device.Length > 0)
        {
            await ProcessRunner.RunCheckedAsync("losetup", "--detach", _device);
        }

        _dir.Dispose();
    }

    [Fact]
    public async Task A_redundant_environment_at_an_offset_of_a_block_device_is_shared_with_fw_printenv_and_fw_setenv()
    {
        string config = ToolFormats.FwEnvConfig(_dir, _device, First, Size, Second);
        string defaults = _dir.Path("empty");
        await File.WriteAllTextAsync(defaults, "");
        await ProcessRunner.RunCheckedAsync("fw_setenv", "-c", config, "-f", defaults, "bootcmd", "run updater");

        var uboot = (UBootBootloader)BootloaderFactory.Create("uboot", new Dictionary<string, string>
        {
            ["uboot-env"] = _device,
            ["uboot-env-offset"] = $"0x{First:x}",
            ["uboot-env-size"] = $"0x{Size:x}",
            ["uboot-env-redundant-offset"] = $"0x{Second:x}",
        });
        await uboot.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);

        Assert.Equal(
            "BOOT_A_LEFT=3\nBOOT_A_TRIAL=0\nBOOT_B_LEFT=3\nBOOT_B_TRIAL=1\nBOOT_ORDER=B A\nbootcmd=run updater\n",
            (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout);

        await ProcessRunner.RunCheckedAsync("fw_setenv", "-c", config, "BOOT_B_LEFT", "2");
        var state = await uboot.ReadStateAsync(CancellationToken.None);
        Assert.Equal(new SlotBootState("B", true, 2, true), state.Slot("B"));
        Assert.Equal("B", state.NextBoot);
    }

    [Fact]
    public async Task A_single_copy_on_a_block_device_is_never_written()
    {
        await using (var device = new FileStream(_device, FileMode.Open, FileAccess.Write))
        {
            device.Position = First;
            await device.WriteAsync(UBootEnvCopy.Encode(new Dictionary<string, string> { ["BOOT_ORDER"] = "A B" }, Size, null, _device));
        }

        var uboot = new UBootBootloader(new UBootOptions(_device, First, Size, null));
        byte[] before = await UBootEnvStore.ReadAtAsync(_device, 0, 1024 * 1024, CancellationToken.None);

        var error = await Assert.ThrowsAsync<BootEnvironmentException>(() => uboot.MarkBadAsync("A", CancellationToken.None));

        Assert.Contains("uboot-env-redundant-offset", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await UBootEnvStore.ReadAtAsync(_device, 0, 1024 * 1024, CancellationToken.None));
    }
}
