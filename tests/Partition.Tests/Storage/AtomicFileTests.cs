// SPDX-License-Identifier: Apache-2.0
using Mono.Unix.Native;
using Partition.Storage;

namespace Partition.Tests.Storage;

/// <summary>The one atomic replacement: new content under a new inode, nothing left beside it, nothing written through.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ulong Inode(string path)
    {
        Assert.Equal(0, Syscall.lstat(path, out var stat));
        return stat.st_ino;
    }

    private string[] Entries() => Directory.GetFileSystemEntries(_dir.Root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public async Task A_replacement_puts_the_new_content_under_a_new_inode_with_the_mode_asked_for_and_leaves_nothing_beside_it()
    {
        string target = _dir.Path("state.json");
        await File.WriteAllTextAsync(target, "old");
        ulong before = Inode(target);

        await AtomicFile.WriteAsync(target, "new content"u8.ToArray(), CancellationToken.None);

        Assert.Equal("new content", await File.ReadAllTextAsync(target));
        // A new inode: the old file was replaced by rename, never overwritten in place where a cut would tear it.
        Assert.NotEqual(before, Inode(target));
        Assert.Equal(AtomicFile.OwnerOnly, File.GetUnixFileMode(target));
        Assert.Equal(["state.json"], Entries());
    }

    [Fact]
    public async Task A_replacement_that_cannot_be_renamed_into_place_removes_its_temporary()
    {
        // A directory in the target's place: everything up to the rename works, the rename fails (EISDIR).
        string target = _dir.Path("target");
        Directory.CreateDirectory(Path.Combine(target, "inside"));

        await Assert.ThrowsAsync<IOException>(() => AtomicFile.WriteAsync(target, "new"u8.ToArray(), CancellationToken.None));

        Assert.False(File.Exists(AtomicFile.TemporaryPathFor(target)));
        Assert.Equal(["target"], Entries());
        Assert.True(Directory.Exists(Path.Combine(target, "inside")));
    }

    [Fact]
    public async Task A_cancelled_or_abandoned_replacement_keeps_the_old_content_and_removes_its_temporary()
    {
        string target = _dir.Path("channel.json");
        await File.WriteAllTextAsync(target, "old");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(target, "new"u8.ToArray(), cancelled.Token));
        using (var abandoned = AtomicFile.Create(target))
        {
            RandomAccess.Write(abandoned.Handle, "half"u8, 0);
            Assert.True(File.Exists(abandoned.TemporaryPath));
        }

        Assert.Equal("old", await File.ReadAllTextAsync(target));
        Assert.Equal(["channel.json"], Entries());
    }

    [Fact]
    public async Task A_symlink_planted_as_the_temporary_is_refused_and_not_written_through()
    {
        string target = _dir.Path("grubenv");
        string victim = _dir.Path("victim");
        await File.WriteAllTextAsync(target, "old");
        await File.WriteAllTextAsync(victim, "precious");
        File.CreateSymbolicLink(AtomicFile.TemporaryPathFor(target), victim);

        var error = await Assert.ThrowsAsync<IOException>(() => AtomicFile.WriteAsync(target, "attacker's bytes"u8.ToArray(), CancellationToken.None));

        Assert.Contains("not a regular file", error.Message, StringComparison.Ordinal);
        Assert.Equal("precious", await File.ReadAllTextAsync(victim));
        Assert.Equal("old", await File.ReadAllTextAsync(target));
    }

    [Fact]
    public async Task The_leftover_of_a_write_cut_short_does_not_block_the_next_one()
    {
        // What a power cut mid-write leaves: a regular file under this process's temporary name (pids repeat after a reboot).
        string target = _dir.Path("grubenv");
        await File.WriteAllTextAsync(target, "old");
        await File.WriteAllTextAsync(AtomicFile.TemporaryPathFor(target), "torn pre");

        await AtomicFile.WriteAsync(target, "new"u8.ToArray(), CancellationToken.None);

        Assert.Equal("new", await File.ReadAllTextAsync(target));
        Assert.Equal(["grubenv"], Entries());
    }
}
