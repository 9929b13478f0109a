// SPDX-License-Identifier: Apache-2.0
namespace Partition.Devices;

/// <summary>
/// Flash that is erased before it is written, as NOR flash behind MTD is: an erase sets whole erase blocks to 0xFF,
/// and a write (programming) can only clear bits, so what a block holds changes only through an erase of all of it.
/// </summary>
internal interface INorFlash : IDisposable
{
    string Path { get; }

    /// <summary>Bytes in the device (an MTD partition: the partition).</summary>
    long Size { get; }

    /// <summary>The unit of an erase, in bytes.</summary>
    int EraseBlockSize { get; }

    Task<byte[]> ReadAsync(long offset, int length, CancellationToken cancellationToken);

    /// <summary>Erases the erase blocks of [offset, offset + length); both must be multiples of <see cref="EraseBlockSize"/>.</summary>
    Task EraseAsync(long offset, long length, CancellationToken cancellationToken);

    /// <summary>Programs <paramref name="data"/> at <paramref name="offset"/>: each bit becomes what it was AND the new bit.</summary>
    Task ProgramAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}
