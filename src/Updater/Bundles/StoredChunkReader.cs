// SPDX-License-Identifier: Apache-2.0
using Updater.Transport;

namespace Updater.Bundles;

/// <summary>
/// Reads the stored bytes of a run of consecutive chunks of one image, in order, from one range of the bundle
/// (one HTTP request for the run). The bytes are exactly the lengths the verified index pins, and still
/// unverified: the caller hands each one to <see cref="ChunkCheck.DecodeAndVerify"/> before using it.
/// Only <see cref="VerifiedBundle.OpenChunksAsync"/> makes one, so no caller computes payload offsets.
/// </summary>
internal sealed class StoredChunkReader : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly int _end;

    private StoredChunkReader(ChunkIndex index, Stream stream, int first, int count)
    {
        Index = index;
        _stream = stream;
        Next = first;
        _end = first + count;
    }

    public ChunkIndex Index { get; }

    /// <summary>The chunk the next <see cref="ReadNextAsync"/> returns.</summary>
    public int Next { get; private set; }

    public static async Task<StoredChunkReader> OpenAsync(IBundleSource source, ChunkIndex index, int first, int count, CancellationToken cancellationToken)
    {
        if (first < 0 || count <= 0 || first > index.Entries.Count - count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"chunks {first}..{first + count - 1} of an index of {index.Entries.Count}");
        }
        var last = index.Entries[first + count - 1];
        long start = index.BundleOffset(first);
        long length = last.Offset + last.StoredLength - index.Entries[first].Offset;
        var stream = await source.OpenRangeAsync(start, length, cancellationToken).ConfigureAwait(false);
        return new StoredChunkReader(index, stream, first, count);
    }

    /// <summary>
    /// Reads the next chunk's stored bytes into the start of <paramref name="buffer"/>; returns the chunk
    /// number and how many bytes it has.
    /// </summary>
    public async ValueTask<(int Chunk, int Length)> ReadNextAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (Next >= _end)
        {
            throw new InvalidOperationException($"all chunks up to {_end - 1} were read");
        }
        int chunk = Next;
        int length = Index.Entries[chunk].StoredLength;
        await _stream.ReadExactlyAsync(buffer[..length], cancellationToken).ConfigureAwait(false);
        Next++;
        return (chunk, length);
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
