// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using ZstdSharp;

namespace Updater.Bundles;

/// <summary>
/// Compresses and decompresses single chunks with zstd. zstd contexts are expensive to create and not
/// thread-safe, so each thread borrows one from a pool for the length of one call.
/// </summary>
internal static class ChunkCodec
{
    public const int DefaultLevel = 3;

    private static readonly ConcurrentBag<Decompressor> Decompressors = [];

    /// <summary>
    /// Test hook: when set, counts the zstd frames handed to the decoder in this async flow (and the pipeline
    /// work it starts), so a test can prove that a tampered chunk was refused before the decoder saw it.
    /// </summary>
    internal static readonly AsyncLocal<StrongBox<int>?> DecodeCounter = new();
    private static readonly ConcurrentDictionary<int, ConcurrentBag<Compressor>> Compressors = new();

    /// <summary>Compresses <paramref name="chunk"/> into <paramref name="destination"/>; stores it as is when zstd would not make it smaller.</summary>
    public static (int Length, ChunkEncoding Encoding) Encode(ReadOnlySpan<byte> chunk, Span<byte> destination, int level)
    {
        var bag = Compressors.GetOrAdd(level, _ => []);
        if (!bag.TryTake(out var compressor))
        {
            compressor = new Compressor(level);
        }
        try
        {
            if (compressor.TryWrap(chunk, destination, out int written) && written < chunk.Length)
            {
                return (written, ChunkEncoding.Zstd);
            }
        }
        finally
        {
            bag.Add(compressor);
        }
        chunk.CopyTo(destination);
        return (chunk.Length, ChunkEncoding.Stored);
    }

    /// <summary>
    /// Restores a chunk into exactly <paramref name="destination"/>'s length, never more: a frame that would
    /// decode to more (a decompression bomb) or to less, or does not decode, fails with the reason. Only
    /// <see cref="ChunkCheck"/> calls this, and it names the chunk in the error and checks the hash.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> stored, ChunkEncoding encoding, Span<byte> destination, [NotNullWhen(false)] out string? problem)
    {
        problem = null;
        if (encoding == ChunkEncoding.Stored)
        {
            if (stored.Length != destination.Length)
            {
                problem = $"stored chunk has {stored.Length} bytes, expected {destination.Length}";
                return false;
            }
            stored.CopyTo(destination);
            return true;
        }
        if (DecodeCounter.Value is { } counter)
        {
            Interlocked.Increment(ref counter.Value);
        }
        if (!Decompressors.TryTake(out var decompressor))
        {
            decompressor = new Decompressor();
        }
        try
        {
            if (!decompressor.TryUnwrap(stored, destination, out int written) || written != destination.Length)
            {
                problem = $"zstd chunk does not decode to {destination.Length} bytes";
                return false;
            }
            return true;
        }
        catch (ZstdException e)
        {
            // A failed frame may leave the context in an odd state: drop it instead of pooling it.
            decompressor.Dispose();
            decompressor = new Decompressor();
            problem = $"zstd chunk is corrupt: {e.Message}";
            return false;
        }
        finally
        {
            Decompressors.Add(decompressor);
        }
    }
}
