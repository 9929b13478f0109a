// SPDX-License-Identifier: Apache-2.0
using Updater.Bundles;
using Updater.Device;
using Updater.Install;
using Updater.State;
using Updater.Tests.Support;
using Updater.Transport;

namespace Updater.Tests.Install;

/// <summary>
/// update.conf's slot type and resize with real mkfs images: an image that is not the slot's filesystem, or whose
/// filesystem is larger than its image or its slot, is refused before any write; resize grows ext4 to the slot.
/// </summary>
public sealed class SlotTypeInstallTests : IDisposable
{
    private const long SlotSize = 6 << 20;
    private readonly TestDevice _box = new(slotSize: SlotSize);

    public void Dispose() => _box.Dispose();

    private void SetType(string type, bool resize = false)
    {
        string keys = $"type = {type}\n" + (resize ? "resize = yes\n" : "");
        File.WriteAllText(_box.ConfigPath, _box.ConfigText()
            .Replace("bootname = A\n", "bootname = A\n" + keys, StringComparison.Ordinal)
            .Replace("bootname = B\n", "bootname = B\n" + keys, StringComparison.Ordinal));
        Assert.All(_box.Config.Slots.All, s => Assert.Equal(type, Partition.Filesystems.SlotTypeWords.Word(s.Type)));
    }

    private async Task<string> ImageAsync(string tool, long size, params string[] arguments)
    {
        string image = _box.Path($"{tool}.img");
        await using (var file = File.Create(image))
        {
            file.SetLength(size);
        }
        var result = await TestSupport.ProcessRunner.RunAsync(tool, [.. arguments, image]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return image;
    }

    private async Task<UpdaterException> RefusedAsync(string image)
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", image);
        string before = TestDevice.Sha256Of(_box.SlotB);
        var bootloader = new FakeBootloader();
        var e = await Assert.ThrowsAsync<UpdaterException>(() => _box.InstallAsync(bundle, bootloader));
        Assert.Equal(ExitCode.BadInput, e.ExitCode);
        Assert.Empty(bootloader.Calls);
        Assert.Equal(before, TestDevice.Sha256Of(_box.SlotB));
        Assert.Null(new StateDirectory(_box.StateDir).ReadJournal());
        return e;
    }

    [Fact]
    public async Task An_image_that_is_not_the_slots_filesystem_is_refused_before_any_write()
    {
        SetType("ext4");
        var e = await RefusedAsync(await ImageAsync("mkfs.vfat", 4 << 20));
        Assert.Contains("image 'rootfs' is not an ext4 filesystem: no ext2/3/4 superblock (magic at byte 1080", e.Message, StringComparison.Ordinal);
        Assert.Contains("[slot.rootfs.1] type", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_filesystem_image_is_refused_before_any_write()
    {
        string image = await ImageAsync("mkfs.ext4", 4 << 20, "-q", "-F", "-b", "1024");
        using (var file = File.OpenWrite(image))
        {
            file.SetLength(3 << 20);
        }
        SetType("ext4");
        var e = await RefusedAsync(image);
        Assert.Contains($"holds an ext4 filesystem of {4 << 20} bytes in only {3 << 20} image bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fat_filesystem_larger_than_its_image_is_refused_before_any_write()
    {
        // An image file of 4 MiB whose FAT says 64 MiB: the image fits the slot, its filesystem would not.
        string image = await ImageAsync("mkfs.vfat", 64 << 20);
        using (var file = File.OpenWrite(image))
        {
            file.SetLength(4 << 20);
        }
        SetType("vfat");
        var e = await RefusedAsync(image);
        Assert.Contains($"holds a vfat filesystem of {64 << 20} bytes in only {4 << 20} image bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vfat_image_installs_into_a_vfat_slot_and_status_names_the_type()
    {
        SetType("vfat");
        string image = await ImageAsync("mkfs.vfat", 4 << 20);
        await _box.InstallAsync(await _box.MakeBundleAsync("v2.bundle", image));
        Assert.Equal(TestDevice.Sha256Of(image), TestDevice.Sha256Of(_box.SlotB, 4 << 20));
        var status = DeviceStatus.From(await _box.Device().ReadAsync(CancellationToken.None), DateTimeOffset.UnixEpoch);
        Assert.All(status.Slots, s => Assert.Equal("vfat", s.Type));
    }

    [Fact]
    public async Task Resize_grows_an_ext4_image_to_the_whole_slot_after_writing_it()
    {
        string tree = _box.Path("tree");
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "os-release"), "VERSION_ID=2\n");
        string image = await ImageAsync("mkfs.ext4", 3 << 20, "-q", "-F", "-b", "1024", "-d", tree);
        SetType("ext4", resize: true);

        var result = await _box.InstallAsync(await _box.MakeBundleAsync("v2.bundle", image));

        Assert.Equal(3 << 20, result.ImageBytes);
        var dump = await TestSupport.ProcessRunner.RunAsync("dumpe2fs", "-h", _box.SlotB);
        Assert.Contains($"Block count:              {SlotSize / 1024}", dump.Stdout, StringComparison.Ordinal);
        var fsck = await TestSupport.ProcessRunner.RunAsync("e2fsck", "-f", "-n", _box.SlotB);
        Assert.True(fsck.ExitCode == 0, fsck.Stdout + fsck.Stderr);
        var cat = await TestSupport.ProcessRunner.RunAsync("debugfs", "-R", "cat /os-release", _box.SlotB);
        Assert.Equal("VERSION_ID=2\n", cat.Stdout);
    }

    [Fact]
    public async Task Without_resize_the_filesystem_keeps_the_images_size()
    {
        string image = await ImageAsync("mkfs.ext4", 3 << 20, "-q", "-F", "-b", "1024");
        SetType("ext4");
        await _box.InstallAsync(await _box.MakeBundleAsync("v2.bundle", image));
        var dump = await TestSupport.ProcessRunner.RunAsync("dumpe2fs", "-h", _box.SlotB);
        Assert.Contains($"Block count:              {(3 << 20) / 1024}", dump.Stdout, StringComparison.Ordinal);
    }
}
