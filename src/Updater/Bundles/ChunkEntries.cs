// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Collections;

namespace Updater.Bundles;

/// <summary>
/// The records of a parsed <see cref="ChunkIndex"/>, decoded from its verified bytes on each access instead of
/// held as objects: a 64 GiB image at 1 MiB chunks is 65,536 records, 5 MiB of index bytes and nothing beside.
/// </summary>
internal sealed class ChunkEntries : IReadOnlyList<ChunkEntry>
{
    private readonly byte[] _bytes;

    public ChunkEntries(byte[] bytes)
    {
        _bytes = bytes;
    }

    public int Count => _bytes.Length / ChunkIndexLayout.EntrySize;

    public ChunkEntry this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return Decode(_bytes.AsMemory(index * ChunkIndexLayout.EntrySize, ChunkIndexLayout.EntrySize));
        }
    }

    /// <summary>One record as it lies in the index; no field is checked here (<see cref="ChunkIndex.Parse"/> does that).</summary>
    public static ChunkEntry Decode(ReadOnlyMemory<byte> record)
    {
        var span = record.Span;
        return new ChunkEntry(
            record.Slice(ChunkIndexLayout.Sha256, ChunkIndexLayout.Sha256Length),
            record.Slice(ChunkIndexLayout.StoredSha256, ChunkIndexLayout.StoredSha256Length),
            BinaryPrimitives.ReadInt64LittleEndian(span[ChunkIndexLayout.Offset..]),
            BinaryPrimitives.ReadInt32LittleEndian(span[ChunkIndexLayout.StoredLength..]),
            (ChunkEncoding)span[ChunkIndexLayout.Encoding]);
    }

    public IEnumerator<ChunkEntry> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
