using System.Security.Cryptography;

namespace Updater.Bundles;

/// <summary>
/// The one check between a payload's stored bytes and anything that uses them (invariant 2): the stored
/// length the signed index pins, a decode bounded by the chunk's pinned length (a frame that would expand
/// further is refused, not buffered), and its SHA-256 against the index. Install and `bundle verify` both go
/// through here, so the most safety-critical loop of the updater exists once.
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
        var target = destination[..length];
        if (!ChunkCodec.TryDecode(stored, entry.Encoding, target, out string? problem))
        {
            throw new BundleFormatException($"{index.Describe(chunk)}: {problem}");
        }
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(target, hash);
        if (!hash.SequenceEqual(entry.Sha256))
        {
            throw new BundleFormatException($"{index.Describe(chunk)}: SHA-256 does not match the signed index");
        }
        return target;
    }
}
