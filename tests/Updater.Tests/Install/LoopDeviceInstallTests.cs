// SPDX-License-Identifier: Apache-2.0
using Partition.Devices;
using Updater.Install;
using Updater.Tests.Support;

namespace Updater.Tests.Install;

/// <summary>
/// Installs onto real loop block devices: size from BLKGETSIZE64, O_DIRECT writes, fsync, read-back. Attaching
/// a loop device needs root: without it these skip (and fail under CI=true).
/// </summary>
public sealed class LoopDeviceInstallTests : IDisposable
{
    private readonly TempDirectory _files = new("updater-loop-");
    private readonly LoopDevice _a;
    private readonly LoopDevice _b;
    private readonly TestDevice _box;

    public LoopDeviceInstallTests()
    {
        string backA = _files.Path("loop-a.img"), backB = _files.Path("loop-b.img");
        File.WriteAllBytes(backA, TestDevice.Pattern(6 << 20, 0x11));
        File.WriteAllBytes(backB, TestDevice.Pattern(6 << 20, 0x22));
        _a = LoopDevice.Attach(backA);
        _b = LoopDevice.Attach(backB);
        _box = new TestDevice(slotA: _a.Path, slotB: _b.Path);
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _box.Dispose();
        _files.Dispose();
    }

    [RootFact]
    public void A_block_device_reports_its_real_size()
    {
        using var device = SlotDevice.OpenWrite(_b.Path, direct: true);
        Assert.True(device.IsBlockDevice);
        Assert.True(device.IsDirect);
        Assert.Equal(6 << 20, device.Size);
    }

    [RootTheory]
    [InlineData(4 << 20)]
    [InlineData((4 << 20) + 1234)]
    public async Task Installs_onto_a_loop_device_with_direct_io(long size)
    {
        string image = _box.MakeImage("v2.img", size, seed: 21);
        string bundle = await _box.MakeBundleAsync("v2.bundle", image, chunkSize: 256 * 1024);
        string aBefore = TestDevice.Sha256Of(_a.Path);

        var result = await _box.InstallAsync(bundle, new FakeBootloader(), new InstallOptions { VerifyReadBack = true });

        Assert.True(result.VerifiedReadBack);
        Assert.Equal(TestDevice.Sha256Of(image), TestDevice.Sha256Of(_b.Path, size));
        Assert.Equal(aBefore, TestDevice.Sha256Of(_a.Path));
    }

    [RootFact]
    public async Task A_block_device_held_exclusively_elsewhere_is_refused_before_anything_changes()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 23));
        string before = TestDevice.Sha256Of(_b.Path);
        var bootloader = new FakeBootloader();
        // An exclusive holder stands for a mount or a device-mapper target stacked on the device.
        using (SlotDevice.OpenWrite(_b.Path, direct: false))
        {
            var e = await Assert.ThrowsAsync<UpdaterException>(() => _box.InstallAsync(bundle, bootloader));
            Assert.Equal(ExitCode.Refused, e.ExitCode);
            Assert.Contains("in use", e.Message, StringComparison.Ordinal);
        }
        Assert.Empty(bootloader.Calls);
        Assert.Equal(before, TestDevice.Sha256Of(_b.Path));
    }

    [RootFact]
    public async Task An_image_larger_than_the_block_device_is_refused_before_writing()
    {
        string image = _box.MakeImage("big.img", (6 << 20) + 4096, seed: 22);
        string bundle = await _box.MakeBundleAsync("big.bundle", image);
        string before = TestDevice.Sha256Of(_b.Path);
        var bootloader = new FakeBootloader();
        var e = await Assert.ThrowsAsync<UpdaterException>(() => _box.InstallAsync(bundle, bootloader));
        Assert.Contains($"holds only {6 << 20}", e.Message, StringComparison.Ordinal);
        Assert.Empty(bootloader.Calls);
        Assert.Equal(before, TestDevice.Sha256Of(_b.Path));
    }
}
