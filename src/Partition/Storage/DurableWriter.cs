// SPDX-License-Identifier: Apache-2.0
namespace Partition.Storage;

/// <summary>
/// The durable writes a bootloader environment store makes: replacing a whole file (<see cref="AtomicFile"/>),
/// and overwriting a region of a file or block device in place, then fsync (a redundant U-Boot copy, whose CRC makes
/// the write atomic to every reader). Stores take one injected, so the torn-write tests can substitute a writer that
/// stops, as at a power cut, after k bytes, while the production signatures carry no test seam.
/// </summary>
internal class DurableWriter
{
    public static DurableWriter Instance { get; } = new();

    /// <summary>Replaces <paramref name="path"/>; readers (the bootloader's tools too) need to read it, so it is world-readable.</summary>
    public virtual Task ReplaceAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        AtomicFile.WriteAsync(path, content, cancellationToken, AtomicFile.WorldReadable);

    public virtual async Task WriteAtAsync(string path, long offset, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, FileOptions.Asynchronous);
        await RandomAccess.WriteAsync(handle, content, offset, cancellationToken).ConfigureAwait(false);
        Fsync.FlushHandle(handle, path);
    }

    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/> in one directory (one rename(2), never link and unlink,
    /// which would show both names at a cut), refusing to replace an existing file, then flushes the file under its new name and the directory.
    /// </summary>
    public virtual Task RenameAsync(string from, string to, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (File.Exists(to))
        {
            throw new IOException($"{to}: exists already; not replaced by {Path.GetFileName(from)}");
        }
        if (Mono.Unix.Native.Syscall.rename(from, to) != 0)
        {
            throw new IOException($"{from}: cannot rename to {Path.GetFileName(to)}: {Mono.Unix.Native.Stdlib.strerror(Mono.Unix.Native.Stdlib.GetLastError())}");
        }
        // The file under its new name, then the directory (AtomicFile.SyncRenamed): on FAT the new entry's start
        // cluster and size are written with the file's inode, so a directory flush alone leaves, at a power cut, the new
        // name on an empty file (seen on the ESP at a cut right after an install's activation rename).
        AtomicFile.SyncRenamed(to);
        return Task.CompletedTask;
    }

    /// <summary>Removes <paramref name="path"/> when it is there, then flushes its directory.</summary>
    public virtual Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (File.Exists(path))
        {
            File.Delete(path);
            Fsync.FlushPath(Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/", directory: true);
        }
        return Task.CompletedTask;
    }
}
