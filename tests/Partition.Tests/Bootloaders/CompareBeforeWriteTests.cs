// SPDX-License-Identifier: Apache-2.0
using Mono.Unix.Native;
using Partition.Bootloaders;
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.UBoot;

namespace Partition.Tests.Bootloaders;

/// <summary>
/// EnvironmentBootloader writes only when a variable changes: a second mark-good costs no write (no wear on an ESP
/// or eMMC, no moment for a power cut). A GRUB write replaces the file (new inode); a redundant U-Boot write goes
/// to the other copy (new bytes, new mtime). A no-op must show neither.
/// </summary>
public sealed class CompareBeforeWriteTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (ulong Inode, long MtimeNs) Identity(string path)
    {
        Assert.Equal(0, Syscall.stat(path, out var stat));
        return (stat.st_ino, (stat.st_mtime * 1_000_000_000) + stat.st_mtime_nsec);
    }

    private static async Task AssertNoOpDoesNotWrite(string file, Func<Task> change)
    {
        await change();
        var written = Identity(file);
        byte[] bytes = await File.ReadAllBytesAsync(file);
        await Task.Delay(20); // so that a rewrite would show in the nanosecond mtime even on a coarse clock

        await change();

        Assert.Equal(written, Identity(file));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(file));
    }

    [Fact]
    public async Task Grub_a_change_that_changes_nothing_does_not_replace_grubenv()
    {
        string file = _dir.Path("grubenv");
        GrubEnvFile.Create(file);
        var grub = new GrubBootloader(new GrubOptions(file));
        var created = Identity(file);

        await AssertNoOpDoesNotWrite(file, () => grub.MarkGoodAsync("A", CancellationToken.None));
        // The first mark-good did write: it spelled out grub.cfg's variables in the fresh block.
        Assert.NotEqual(created.Inode, Identity(file).Inode);

        await AssertNoOpDoesNotWrite(file, () => grub.ActivateAsync("B", BootActivation.Trial, CancellationToken.None));
        await AssertNoOpDoesNotWrite(file, () => grub.MarkBadAsync("B", CancellationToken.None));
    }

    [Fact]
    public async Task UBoot_a_change_that_changes_nothing_does_not_write_either_copy()
    {
        var options = UBootEnvInteropTests.Provision(_dir, redundant: true);
        var uboot = new UBootBootloader(options);

        await AssertNoOpDoesNotWrite(options.Device, () => uboot.MarkGoodAsync("A", CancellationToken.None));
        await AssertNoOpDoesNotWrite(options.Device, () => uboot.ActivateAsync("B", BootActivation.Trial, CancellationToken.None));
        await AssertNoOpDoesNotWrite(options.Device, () => uboot.MarkBadAsync("B", CancellationToken.None));
    }
}
