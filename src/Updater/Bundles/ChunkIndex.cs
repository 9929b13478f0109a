// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;

namespace Updater.Bundles;

/// <summary>
/// An image's chunk index: one fixed 80-byte record per chunk (docs/bundle-format.md). Parsing checks every
/// record against the manifest (contiguous offsets, lengths within bounds), so once the index's own hash has
/// matched the manifest, every payload byte has exactly one place and two expected hashes: of its stored
/// bytes (checked before decoding) and of its content (checked after). The records stay in the verified
/// bytes (<see cref="ChunkEntries"/>): memory is the index's length, which the manifest rules cap. It also knows where
/// its payload lies in its bundle, so an error about a chunk can name the bundle, the image and the offset.
/// </summary>
internal sealed class ChunkIndex
{
    public const int EntrySize = ChunkIndexLayout.EntrySize;

    private ChunkIndex(byte[] bytes, ChunkEntries entries, ImageManifest image, long payloadStart, string bundleName)
    {
        Bytes = bytes;
        Entries = entries;
        ChunkSize = image.ChunkSize;
        ImageSize = image.Size;
        SlotClass = image.SlotClass;
        PayloadStart = payloadStart;
        BundleName = bundleName;
    }

    /// <summary>
    /// The index exactly as its hash in the signed manifest pins it: what the state directory keeps, so the
    /// record beside a slot is the verified bytes rather than a re-encoding of them. Not to be modified.
    /// </summary>
    public byte[] Bytes { get; }

    public ChunkEntries Entries { get; }

    public long ChunkSize { get; }

    public long ImageSize { get; }

    /// <summary>The image this index belongs to, for messages.</summary>
    public string SlotClass { get; }

    /// <summary>Absolute offset in the bundle of the image's payload: where chunk 0's stored bytes start.</summary>
    public long PayloadStart { get; }

    /// <summary>The bundle's name (a path or redacted URL), for messages.</summary>
    public string BundleName { get; }

    /// <summary>Uncompressed length of chunk <paramref name="i"/>: the chunk size, except for a shorter last chunk.</summary>
    public int ChunkLength(long i) => (int)Math.Min(ChunkSize, ImageSize - (i * ChunkSize));

    public long ChunkOffset(long i) => i * ChunkSize;

    /// <summary>Absolute offset in the bundle of chunk <paramref name="i"/>'s stored bytes.</summary>
    public long BundleOffset(int i) => PayloadStart + Entries[i].Offset;

    /// <summary>"NAME: image 'CLASS' chunk I (bundle byte offset N)": how every error about one chunk begins.</summary>
    public string Describe(int i) => $"{BundleName}: image '{SlotClass}' chunk {i} (bundle byte offset {BundleOffset(i)})";

    /// <summary>The largest stored length a chunk may have: zstd's worst-case bound over the chunk size.</summary>
    public static int MaxStoredLength(int chunkSize) => checked(chunkSize + (chunkSize >> 7) + 512);

    public static byte[] Encode(IReadOnlyList<ChunkEntry> entries)
    {
        var bytes = new byte[entries.Count * EntrySize];
        for (int i = 0; i < entries.Count; i++)
        {
            EncodeEntry(entries[i], bytes.AsSpan(i * EntrySize, EntrySize));
        }
        return bytes;
    }

    /// <summary>Writes one record in place, so a writer fills its index without holding an object per chunk.</summary>
    public static void EncodeEntry(ChunkEntry entry, Span<byte> record)
    {
        entry.Sha256.Span.CopyTo(record[ChunkIndexLayout.Sha256..]);
        entry.StoredSha256.Span.CopyTo(record[ChunkIndexLayout.StoredSha256..]);
        BinaryPrimitives.WriteInt64LittleEndian(record[ChunkIndexLayout.Offset..], entry.Offset);
        BinaryPrimitives.WriteInt32LittleEndian(record[ChunkIndexLayout.StoredLength..], entry.StoredLength);
        record[ChunkIndexLayout.Encoding] = (byte)entry.Encoding;
        record.Slice(ChunkIndexLayout.Reserved, ChunkIndexLayout.ReservedLength).Clear();
    }

    /// <summary>
    /// Parses index bytes whose SHA-256 the caller has already compared with the signed manifest; only
    /// <see cref="VerifiedBundle.ReadIndexAsync"/> (and tests) do that. Keeps <paramref name="bytes"/>.
    /// </summary>
    /// <param name="indexStart">Where the index starts in the bundle, so errors name the real byte offset.</param>
    /// <param name="payloadStart">Where the image's payload starts in the bundle.</param>
    internal static ChunkIndex Parse(byte[] bytes, ImageManifest image, long indexStart, long payloadStart, string name)
    {
        if (bytes.Length != image.ChunkCount * EntrySize)
        {
            throw new BundleFormatException($"{name}: index of image '{image.SlotClass}' has {bytes.Length} bytes, expected {image.ChunkCount * EntrySize}");
        }
        int maxStored = MaxStoredLength(image.ChunkSize);
        var entries = new ChunkEntries(bytes);
        long expectedOffset = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            var span = bytes.AsSpan(i * EntrySize, EntrySize);
            long at = indexStart + (i * (long)EntrySize);
            long offset = BinaryPrimitives.ReadInt64LittleEndian(span[ChunkIndexLayout.Offset..]);
            int stored = BinaryPrimitives.ReadInt32LittleEndian(span[ChunkIndexLayout.StoredLength..]);
            byte encoding = span[ChunkIndexLayout.Encoding];
            int chunkLength = (int)Math.Min(image.ChunkSize, image.Size - (i * (long)image.ChunkSize));
            if (offset != expectedOffset)
            {
                throw new BundleFormatException($"{name}: chunk {i} of image '{image.SlotClass}' (index byte offset {at + ChunkIndexLayout.Offset}) has payload offset {offset}, expected {expectedOffset}");
            }
            if (stored <= 0 || stored > maxStored)
            {
                throw new BundleFormatException($"{name}: chunk {i} of image '{image.SlotClass}' (index byte offset {at + ChunkIndexLayout.StoredLength}) has stored length {stored}, outside 1..{maxStored}");
            }
            if (encoding > (byte)ChunkEncoding.Zstd || span.Slice(ChunkIndexLayout.Reserved, ChunkIndexLayout.ReservedLength).ContainsAnyExcept((byte)0))
            {
                throw new BundleFormatException($"{name}: chunk {i} of image '{image.SlotClass}' (index byte offset {at + ChunkIndexLayout.Encoding}) has unknown encoding or non-zero reserved bytes");
            }
            // A chunk stored as is has one set of bytes, so both hashes are of the same bytes: the check hashes it
            // once, and an index that says otherwise describes no possible chunk.
            if (encoding == (byte)ChunkEncoding.Stored
                && (stored != chunkLength || !span.Slice(ChunkIndexLayout.Sha256, ChunkIndexLayout.Sha256Length).SequenceEqual(span.Slice(ChunkIndexLayout.StoredSha256, ChunkIndexLayout.StoredSha256Length))))
            {
                throw new BundleFormatException($"{name}: chunk {i} of image '{image.SlotClass}' (index byte offset {at}) is stored as is, but its stored length is not {chunkLength} or its two hashes differ");
            }
            expectedOffset += stored;
        }
        if (expectedOffset != image.Payload.Length)
        {
            throw new BundleFormatException($"{name}: index of image '{image.SlotClass}' adds up to {expectedOffset} payload bytes, the manifest says {image.Payload.Length}");
        }
        return new ChunkIndex(bytes, entries, image, payloadStart, name);
    }
}
