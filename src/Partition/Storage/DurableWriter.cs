// SPDX-License-Identifier: Apache-2.0
namespace Partition.Storage;

/// <summary>
/// The two durable writes a bootloader environment store makes: replacing a whole file (<see cref="AtomicFile"/>),
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
}
