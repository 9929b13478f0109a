// SPDX-License-Identifier: Apache-2.0
namespace Updater.Bundles;

/// <summary>
/// Where each field of the 64-byte bundle header lies (docs/bundle-format.md, "Header"). Every location is
/// derived from the one before plus its length, as System.Formats.Tar's FieldLocations does, so the writer,
/// the reader and their error messages cannot disagree about an offset.
/// </summary>
internal static class BundleHeaderLayout
{
    public const int MagicLength = 8;
    public const int FormatVersionLength = sizeof(uint);
    public const int HeaderSizeLength = sizeof(uint);
    public const int ManifestOffsetLength = sizeof(long);
    public const int ManifestLengthLength = sizeof(long);
    public const int SignatureOffsetLength = sizeof(long);
    public const int SignatureLengthLength = sizeof(long);
    public const int DataOffsetLength = sizeof(long);
    public const int ReservedLength = sizeof(uint);
    public const int CrcLength = sizeof(uint);

    public const int Magic = 0;
    public const int FormatVersion = Magic + MagicLength;
    public const int HeaderSize = FormatVersion + FormatVersionLength;
    public const int ManifestOffset = HeaderSize + HeaderSizeLength;
    public const int ManifestLength = ManifestOffset + ManifestOffsetLength;
    public const int SignatureOffset = ManifestLength + ManifestLengthLength;
    public const int SignatureLength = SignatureOffset + SignatureOffsetLength;
    public const int DataOffset = SignatureLength + SignatureLengthLength;
    public const int Reserved = DataOffset + DataOffsetLength;

    /// <summary>The CRC covers every byte before it.</summary>
    public const int Crc = Reserved + ReservedLength;

    public const int Size = Crc + CrcLength;
}
