// SPDX-License-Identifier: Apache-2.0
using Updater.Bundles;
using Updater.Install;
using Updater.Tests.Support;

namespace Updater.Tests.Install;

/// <summary>
/// A device with two slot classes (rootfs and appfs): a bundle that carries only rootfs is refused before any
/// write unless its signed manifest keeps appfs and the target side's appfs slot holds a recorded image that
/// the manifest accepts there. Otherwise slot B would boot a new rootfs over stale or unknown appfs content.
/// </summary>
public sealed class PartialBundleTests : IDisposable
{
    private readonly TestDevice _box = new(slotSize: 2 << 20);
    private readonly string _appA, _appB;

    public PartialBundleTests()
    {
        _appA = _box.Path("app-a.img");
        _appB = _box.Path("app-b.img");
        File.WriteAllBytes(_appA, TestDevice.Pattern(2 << 20, 0x11));
        File.WriteAllBytes(_appB, TestDevice.Pattern(2 << 20, 0x22));
        _box.AppendConfig($"[slot.appfs.0]\ndevice = {_appA}\nbootname = A\n[slot.appfs.1]\ndevice = {_appB}\nbootname = B");
    }

    public void Dispose() => _box.Dispose();

    private async Task<string> BundleAsync(string name, string version, IReadOnlyList<BundleImageInput> images, IReadOnlyList<KeptSlotClass>? keep = null)
    {
        string path = _box.Path(name);
        await new BundleWriter(new BundleCreateRequest
        {
            Images = images,
            Compatible = TestDevice.Compatible,
            Version = version,
            SecurityVersion = 1,
            ChunkSize = 64 * 1024,
            Keep = keep,
        }, [_box.Key]).WriteAsync(path, null, CancellationToken.None);
        return path;
    }

    private async Task AssertRefusedBeforeAnyWriteAsync(string bundle, string expected)
    {
        string rootB = TestDevice.Sha256Of(_box.SlotB), appB = TestDevice.Sha256Of(_appB);
        var bootloader = new FakeBootloader();
        var e = await Assert.ThrowsAsync<UpdaterException>(() => _box.InstallAsync(bundle, bootloader));
        Assert.Equal(ExitCode.BadInput, e.ExitCode);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Empty(bootloader.Calls);
        Assert.Equal((rootB, appB), (TestDevice.Sha256Of(_box.SlotB), TestDevice.Sha256Of(_appB)));
    }

    [Fact]
    public async Task A_bundle_without_an_image_for_a_configured_class_and_no_keep_entry_is_refused_naming_the_class()
    {
        string rootfs = _box.MakeImage("root.img", 1 << 20, seed: 3);
        string bundle = await BundleAsync("rootfs-only.bundle", "2.0.0", [new BundleImageInput("rootfs", rootfs)]);

        await AssertRefusedBeforeAnyWriteAsync(bundle, "bundle has no image for slot class 'appfs' and does not keep it");
    }

    [Fact]
    public async Task A_kept_class_whose_slot_holds_an_accepted_recorded_image_is_left_alone()
    {
        string rootfs = _box.MakeImage("root.img", 1 << 20, seed: 3);
        string app = _box.MakeImage("app.img", 1 << 20, seed: 4);
        await _box.InstallAsync(await BundleAsync("full.bundle", "2.0.0", [new("rootfs", rootfs), new("appfs", app)]));
        string appOnSlot = TestDevice.Sha256Of(_appB);

        string rootfs3 = _box.MakeImage("root3.img", 1 << 20, seed: 5);
        var result = await _box.InstallAsync(await BundleAsync("partial.bundle", "3.0.0", [new("rootfs", rootfs3)],
            [new KeptSlotClass("appfs", [new string('0', 64), TestDevice.Sha256Of(app)])]));

        Assert.Equal(["rootfs.1"], result.Slots);
        Assert.Equal(TestDevice.Sha256Of(rootfs3), TestDevice.Sha256Of(_box.SlotB, 1 << 20));
        Assert.Equal(appOnSlot, TestDevice.Sha256Of(_appB));
        // The kept slot belongs to the new release now: side B reads as 3.0.0 everywhere, not as a mix.
        var side = (await _box.Device().ReadAsync(CancellationToken.None)).Side("B");
        Assert.Equal("3.0.0", side.Version);
        Assert.Null(side.VersionProblem);
        Assert.Equal(TestDevice.Sha256Of(app), side.Slots.Single(s => s.Slot.Class == "appfs").Record!.ImageSha256);
    }

    [Fact]
    public async Task A_kept_class_whose_slot_holds_another_image_is_refused_naming_class_and_image()
    {
        string rootfs = _box.MakeImage("root.img", 1 << 20, seed: 3);
        string app = _box.MakeImage("app.img", 1 << 20, seed: 4);
        await _box.InstallAsync(await BundleAsync("full.bundle", "2.0.0", [new("rootfs", rootfs), new("appfs", app)]));

        string bundle = await BundleAsync("partial.bundle", "3.0.0", [new("rootfs", rootfs)], [new KeptSlotClass("appfs", [new string('0', 64)])]);

        await AssertRefusedBeforeAnyWriteAsync(bundle, $"bundle keeps slot class 'appfs', but appfs.1 holds image {TestDevice.Sha256Of(app)} (version 2.0.0), which the bundle does not accept there");
    }

    [Fact]
    public async Task A_kept_class_whose_slot_has_no_record_is_refused()
    {
        string rootfs = _box.MakeImage("root.img", 1 << 20, seed: 3);
        string bundle = await BundleAsync("partial.bundle", "2.0.0", [new("rootfs", rootfs)], [new KeptSlotClass("appfs", [TestDevice.Sha256Of(_appB, 1 << 20)])]);

        await AssertRefusedBeforeAnyWriteAsync(bundle, "bundle keeps slot class 'appfs', but appfs.1");
    }

    [Fact]
    public async Task Keeping_a_class_the_device_does_not_configure_is_refused()
    {
        string rootfs = _box.MakeImage("root.img", 1 << 20, seed: 3);
        string app = _box.MakeImage("app.img", 1 << 20, seed: 4);
        string bundle = await BundleAsync("odd.bundle", "2.0.0", [new("rootfs", rootfs), new("appfs", app)], [new KeptSlotClass("datafs", [new string('0', 64)])]);

        await AssertRefusedBeforeAnyWriteAsync(bundle, "bundle keeps slot class 'datafs', which");
    }
}
