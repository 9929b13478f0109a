using System.Buffers.Binary;

namespace Updater.Bundles;

/// <summary>How a chunk is stored in the payload.</summary>
internal enum ChunkEncoding : byte
{
    Stored = 0,
    Zstd = 1,
}

/// <summary>One chunk: the SHA-256 of its uncompressed bytes, and where its stored bytes are in the payload.</summary>
internal readonly record struct ChunkEntry(byte[] Sha256, long Offset, int StoredLength, ChunkEncoding Encoding);

/// <summary>
/// An image's chunk index: one fixed 48-byte record per chunk (docs/bundle-format.md). Parsing checks every
/// record against the manifest (contiguous offsets, lengths within bounds), so once the index's own hash has
/// matched the manifest, every payload byte has exactly one place and one expected hash.
/// </summary>
internal sealed class ChunkIndex
{
    public const int EntrySize = 48;

    private ChunkIndex(IReadOnlyList<ChunkEntry> entries, long chunkSize, long imageSize)
    {
        Entries = entries;
        ChunkSize = chunkSize;
        ImageSize = imageSize;
    }

    public IReadOnlyList<ChunkEntry> Entries { get; }

    public long ChunkSize { get; }

    public long ImageSize { get; }

    /// <summary>Uncompressed length of chunk <paramref name="i"/>: the chunk size, except for a shorter last chunk.</summary>
    public int ChunkLength(long i) => (int)Math.Min(ChunkSize, ImageSize - (i * ChunkSize));

    public long ChunkOffset(long i) => i * ChunkSize;

    /// <summary>The largest stored length a chunk may have: zstd's worst-case bound over the chunk size.</summary>
    public static int MaxStoredLength(int chunkSize) => checked(chunkSize + (chunkSize >> 7) + 512);

    public static byte[] Encode(IReadOnlyList<ChunkEntry> entries)
    {
        var bytes = new byte[entries.Count * EntrySize];
        for (int i = 0; i < entries.Count; i++)
        {
            var span = bytes.AsSpan(i * EntrySize, EntrySize);
            entries[i].Sha256.CopyTo(span);
            BinaryPrimitives.WriteInt64LittleEndian(span[32..], entries[i].Offset);
            BinaryPrimitives.WriteInt32LittleEndian(span[40..], entries[i].StoredLength);
            span[44] = (byte)entries[i].Encoding;
        }
        return bytes;
    }

    /// <param name="absoluteOffset">Where the index starts in the bundle, so errors name the real byte offset.</param>
    public static ChunkIndex Parse(ReadOnlySpan<byte> bytes, ImageManifest image, long absoluteOffset, string name)
    {
        if (bytes.Length != image.ChunkCount * EntrySize)
        {
            throw new BundleFormatException($"{name}: index of image '{image.SlotClass}' has {bytes.Length} bytes, expected {image.ChunkCount * EntrySize}");
        }
        int maxStored = MaxStoredLength(image.ChunkSize);
        var entries = new ChunkEntry[image.ChunkCount];
        long expectedOffset = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            var span = bytes.Slice(i * EntrySize, EntrySize);
            long at = absoluteOffset + (i * (long)EntrySize);
            long offset = BinaryPrimitives.ReadInt64LittleEndian(span[32..]);
            int stored = BinaryPrimitives.ReadInt32LittleEndian(span[40..]);
            byte encoding = span[44];
            if (offset != expectedOffset)
            {
                throw new BundleFormatException($"{name}: chunk {i} of image '{image.SlotClass}' (index byte offset {at + 32}) has payload offset {offset}, expected {expectedOffset}");
            }
            if (stored <= 0 || stored > maxStored)
            {
                throw new BundleFormatException($"{name}: chunk {i} of image '{image.SlotClass}' (index byte offset {at + 40}) has stored length {stored}, outside 1..{maxStored}");
            }
            if (encoding > (byte)ChunkEncoding.Zstd || span[45] != 0 || span[46] != 0 || span[47] != 0)
            {
                throw new BundleFormatException($"{name}: chunk {i} of image '{image.SlotClass}' (index byte offset {at + 44}) has unknown encoding or non-zero reserved bytes");
            }
            entries[i] = new ChunkEntry(span[..32].ToArray(), offset, stored, (ChunkEncoding)encoding);
            expectedOffset += stored;
        }
        if (expectedOffset != image.Payload.Length)
        {
            throw new BundleFormatException($"{name}: index of image '{image.SlotClass}' adds up to {expectedOffset} payload bytes, the manifest says {image.Payload.Length}");
        }
        return new ChunkIndex(entries, image.ChunkSize, image.Size);
    }
}
