// SPDX-License-Identifier: Apache-2.0
namespace Updater.Bundles;

/// <summary>
/// Where each field of one chunk-index record lies (docs/bundle-format.md, "Chunk index"): derived locations,
/// as in <see cref="BundleHeaderLayout"/>, shared by the encoder, the parser and its error messages.
/// </summary>
internal static class ChunkIndexLayout
{
    public const int Sha256Length = 32;
    public const int StoredSha256Length = 32;
    public const int OffsetLength = sizeof(long);
    public const int StoredLengthLength = sizeof(int);
    public const int EncodingLength = sizeof(byte);
    public const int ReservedLength = 3;

    /// <summary>SHA-256 of the chunk's uncompressed content: what a slot holds, and what a delta source matches.</summary>
    public const int Sha256 = 0;

    /// <summary>SHA-256 of the chunk's stored bytes: checked before a decoder sees any of them.</summary>
    public const int StoredSha256 = Sha256 + Sha256Length;
    public const int Offset = StoredSha256 + StoredSha256Length;
    public const int StoredLength = Offset + OffsetLength;
    public const int Encoding = StoredLength + StoredLengthLength;
    public const int Reserved = Encoding + EncodingLength;

    public const int EntrySize = Reserved + ReservedLength;
}
