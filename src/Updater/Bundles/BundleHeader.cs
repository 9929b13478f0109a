// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.IO.Hashing;

namespace Updater.Bundles;

/// <summary>
/// The fixed 64-byte header at offset 0 of a bundle (docs/bundle-format.md). It only locates the signed
/// manifest, its signature envelope and the data area; everything it points at is verified through the
/// signature, so a forged header can only make verification fail. Its CRC32 turns a corrupt header into a
/// clear "header corrupt" error instead of a confusing one further on.
/// </summary>
internal sealed record BundleHeader(long ManifestOffset, long ManifestLength, long SignatureOffset, long SignatureLength, long DataOffset)
{
    public const int Size = BundleHeaderLayout.Size;
    /// <summary>2: the chunk index pins each chunk's stored bytes as well as its content. Version 1 is refused.</summary>
    public const uint FormatVersion = 2;
    public const int MaxManifestLength = 1 << 20;

    /// <summary>Room the writer reserves for the widest manifest beyond the real one, plus alignment.</summary>
    public const long MaxPadding = MaxManifestLength + 4096;

    /// <summary>"UPDBNDL" and a newline: `head -c 8` says what the file is; a text-mode transfer breaks it visibly.</summary>
    public static ReadOnlySpan<byte> Magic => "UPDBNDL\n"u8;

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        var span = bytes.AsSpan();
        Magic.CopyTo(span[BundleHeaderLayout.Magic..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[BundleHeaderLayout.FormatVersion..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(span[BundleHeaderLayout.HeaderSize..], Size);
        BinaryPrimitives.WriteInt64LittleEndian(span[BundleHeaderLayout.ManifestOffset..], ManifestOffset);
        BinaryPrimitives.WriteInt64LittleEndian(span[BundleHeaderLayout.ManifestLength..], ManifestLength);
        BinaryPrimitives.WriteInt64LittleEndian(span[BundleHeaderLayout.SignatureOffset..], SignatureOffset);
        BinaryPrimitives.WriteInt64LittleEndian(span[BundleHeaderLayout.SignatureLength..], SignatureLength);
        BinaryPrimitives.WriteInt64LittleEndian(span[BundleHeaderLayout.DataOffset..], DataOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(span[BundleHeaderLayout.Crc..], Crc32.HashToUInt32(span[..BundleHeaderLayout.Crc]));
        return bytes;
    }

    /// <summary>
    /// Parses and checks the header against the bundle's real length. The only place that checks the bundle
    /// is long enough for a header: a reader passes what it could read (fewer bytes for a short file).
    /// </summary>
    public static BundleHeader Parse(ReadOnlySpan<byte> bytes, long bundleLength, string name)
    {
        if (bundleLength < Size || bytes.Length < Size)
        {
            throw new BundleFormatException($"{name}: {bundleLength} bytes is too short for a bundle (the header alone is {Size} bytes)");
        }
        if (!bytes.Slice(BundleHeaderLayout.Magic, BundleHeaderLayout.MagicLength).SequenceEqual(Magic))
        {
            throw new BundleFormatException($"{name}: not an update bundle (bytes {BundleHeaderLayout.Magic}-{BundleHeaderLayout.Magic + BundleHeaderLayout.MagicLength - 1} are not the magic \"UPDBNDL\\n\")");
        }
        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes[BundleHeaderLayout.Crc..]);
        if (Crc32.HashToUInt32(bytes[..BundleHeaderLayout.Crc]) != storedCrc)
        {
            throw new BundleFormatException($"{name}: header corrupt (CRC32 at byte offset {BundleHeaderLayout.Crc} does not match bytes 0-{BundleHeaderLayout.Crc - 1})");
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[BundleHeaderLayout.FormatVersion..]);
        if (version != FormatVersion)
        {
            string hint = version < FormatVersion ? "; rebuild it with this updater's `bundle create`" : "";
            throw new BundleFormatException($"{name}: bundle format version {version} at byte offset {BundleHeaderLayout.FormatVersion} is not supported (this updater reads version {FormatVersion}{hint})");
        }
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[BundleHeaderLayout.HeaderSize..]);
        if (headerSize != Size)
        {
            throw new BundleFormatException($"{name}: header size {headerSize} at byte offset {BundleHeaderLayout.HeaderSize}, expected {Size}");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[BundleHeaderLayout.Reserved..]) != 0)
        {
            throw new BundleFormatException($"{name}: reserved header bytes {BundleHeaderLayout.Reserved}-{BundleHeaderLayout.Crc - 1} are not zero");
        }
        var header = new BundleHeader(
            BinaryPrimitives.ReadInt64LittleEndian(bytes[BundleHeaderLayout.ManifestOffset..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[BundleHeaderLayout.ManifestLength..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[BundleHeaderLayout.SignatureOffset..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[BundleHeaderLayout.SignatureLength..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[BundleHeaderLayout.DataOffset..]));
        header.CheckLayout(bundleLength, name);
        return header;
    }

    private void CheckLayout(long bundleLength, string name)
    {
        if (ManifestOffset != Size)
        {
            throw new BundleFormatException($"{name}: manifest offset {ManifestOffset} (header byte {BundleHeaderLayout.ManifestOffset}), expected {Size}");
        }
        if (ManifestLength <= 0 || ManifestLength > MaxManifestLength)
        {
            throw new BundleFormatException($"{name}: manifest length {ManifestLength} (header byte {BundleHeaderLayout.ManifestLength}) is outside 1..{MaxManifestLength}");
        }
        if (SignatureOffset != ManifestOffset + ManifestLength)
        {
            throw new BundleFormatException($"{name}: signature offset {SignatureOffset} (header byte {BundleHeaderLayout.SignatureOffset}) does not follow the manifest");
        }
        if (SignatureLength <= 0 || SignatureLength > Crypto.SignatureEnvelope.MaxBytes)
        {
            throw new BundleFormatException($"{name}: signature length {SignatureLength} (header byte {BundleHeaderLayout.SignatureLength}) is outside 1..{Crypto.SignatureEnvelope.MaxBytes}");
        }
        if (DataOffset < SignatureOffset + SignatureLength || DataOffset % 4096 != 0)
        {
            throw new BundleFormatException($"{name}: data offset {DataOffset} (header byte {BundleHeaderLayout.DataOffset}) must follow the signature and be a multiple of 4096");
        }
        // The padding is not signed: bound it, so a forged header cannot make readers skip or buffer gigabytes.
        if (DataOffset - (SignatureOffset + SignatureLength) > MaxPadding)
        {
            throw new BundleFormatException($"{name}: data offset {DataOffset} (header byte {BundleHeaderLayout.DataOffset}) leaves more than {MaxPadding} bytes of padding after the signature");
        }
        if (DataOffset > bundleLength)
        {
            throw new BundleFormatException($"{name}: truncated: the data area starts at byte {DataOffset} but the bundle has {bundleLength} bytes");
        }
    }
}
