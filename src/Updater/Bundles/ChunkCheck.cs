// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;

namespace Updater.Bundles;

/// <summary>
/// The one check between a payload's stored bytes and anything that uses them (invariant 2): the stored
/// length the signed index pins, then the SHA-256 of the stored bytes against the index — before any decoder
/// sees a byte, because the zstd decoder is an unsafe C port running as root and must only ever parse bytes
/// the signature pins — then a decode bounded by the chunk's pinned length (a frame that would expand further
/// is refused, not buffered), and the content's SHA-256 against the index. Install and `bundle verify` both
/// go through here, so the most safety-critical loop of the updater exists once.
/// </summary>
internal static class ChunkCheck
{
    /// <summary>
    /// Decodes chunk <paramref name="chunk"/> of <paramref name="index"/> from <paramref name="stored"/> into
    /// the start of <paramref name="destination"/> and checks it; returns the verified bytes. On any failure
    /// the error names the bundle, the image, the chunk and its byte offset, and nothing is returned.
    /// </summary>
    public static Span<byte> DecodeAndVerify(ChunkIndex index, int chunk, ReadOnlySpan<byte> stored, Span<byte> destination)
    {
        var entry = index.Entries[chunk];
        int length = index.ChunkLength(chunk);
        if (destination.Length < length)
        {
            throw new ArgumentException($"a {destination.Length}-byte buffer cannot hold chunk {chunk} of {length} bytes", nameof(destination));
        }
        if (stored.Length != entry.StoredLength)
        {
            throw new BundleFormatException($"{index.Describe(chunk)}: {stored.Length} stored bytes, the signed index says {entry.StoredLength}");
        }
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(stored, hash);
        if (!hash.SequenceEqual(entry.StoredSha256.Span))
        {
            throw new BundleFormatException($"{index.Describe(chunk)}: SHA-256 of the stored bytes does not match the signed index (checked before decoding)");
        }
        var target = destination[..length];
        if (!ChunkCodec.TryDecode(stored, entry.Encoding, target, out string? problem))
        {
            throw new BundleFormatException($"{index.Describe(chunk)}: {problem}");
        }
        // A chunk stored as is was just hashed whole, and the index parser insists both its hashes are equal.
        if (entry.Encoding != ChunkEncoding.Stored)
        {
            SHA256.HashData(target, hash);
            if (!hash.SequenceEqual(entry.Sha256.Span))
            {
                throw new BundleFormatException($"{index.Describe(chunk)}: SHA-256 does not match the signed index");
            }
        }
        return target;
    }
}
