// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.UBoot;
using Partition.Storage;

namespace Partition.Tests.Bootloaders;

/// <summary>A second writer (another updater process) waits for the first instead of losing its change.</summary>
public sealed class EnvironmentLockTests : IDisposable
{
    private static readonly TimeSpan Blocked = TimeSpan.FromMilliseconds(300);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task AssertWaitsForTheLock(string environment, Func<Task> change, Func<Task<byte[]>> content)
    {
        byte[] before = await content();
        Task pending;
        using (await FileLock.AcquireAsync(EnvironmentLock.PathFor(environment), CancellationToken.None))
        {
            pending = change();
            await Task.WhenAny(pending, Task.Delay(Blocked));
            Assert.False(pending.IsCompleted, "the change must wait while another writer holds the lock");
            Assert.Equal(before, await content());
        }

        await pending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(before, await content());
    }

    [Fact]
    public async Task Grub_writes_wait_for_a_writer_holding_the_env_lock()
    {
        string file = _dir.Path("grubenv");
        GrubEnvFile.Create(file);
        var grub = new GrubBootloader(new GrubOptions(file));

        await AssertWaitsForTheLock(file, () => grub.MarkBadAsync("A", CancellationToken.None), () => File.ReadAllBytesAsync(file));
    }

    [Fact]
    public async Task UBoot_redundant_writes_wait_for_a_writer_holding_the_device_s_lock()
    {
        var options = UBootEnvInteropTests.Provision(_dir, redundant: true);
        var uboot = new UBootBootloader(options);

        await AssertWaitsForTheLock(options.Device, () => uboot.MarkBadAsync("A", CancellationToken.None), () => File.ReadAllBytesAsync(options.Device));
    }

    [Fact]
    public async Task Waiting_for_the_lock_can_be_cancelled_and_changes_nothing()
    {
        string file = _dir.Path("grubenv");
        GrubEnvFile.Create(file);
        byte[] before = await File.ReadAllBytesAsync(file);
        var grub = new GrubBootloader(new GrubOptions(file));
        using var cancel = new CancellationTokenSource(Blocked);

        using (await FileLock.AcquireAsync(EnvironmentLock.PathFor(file), CancellationToken.None))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => grub.MarkBadAsync("A", cancel.Token));
        }

        Assert.Equal(before, await File.ReadAllBytesAsync(file));
    }
}
