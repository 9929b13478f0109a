// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using Partition.Devices;
using Updater.Bundles;

namespace Updater.Install;

/// <summary>
/// Streams one image from a verified bundle onto a slot: fetch stored chunk, decompress, hash, compare with
/// the signed index (<see cref="ChunkCheck"/>), and only then write. Decoding and hashing run on all cores;
/// writes happen in order (<see cref="OrderedPipeline{TSlot}"/>). A bounded queue and a fixed set of aligned
/// buffers keep memory flat whatever the image size. No chunk reaches the slot before its own hash has
/// matched (invariant 2).
/// </summary>
internal sealed class ImageWriter
{
    private readonly VerifiedBundle _bundle;
    private readonly ImageManifest _image;
    private readonly ChunkIndex _index;
    private readonly int _workers;

    public ImageWriter(VerifiedBundle bundle, ImageManifest image, ChunkIndex index, int workers = 0)
    {
        _bundle = bundle;
        _image = image;
        _index = index;
        _workers = workers > 0 ? workers : Math.Max(2, Environment.ProcessorCount);
    }

    /// <summary>Chunks already on the slot with the right hash (a resumed install): they are neither fetched nor written.</summary>
    public async Task<bool[]> FindPresentChunksAsync(string devicePath, Action<long>? progress, CancellationToken cancellationToken)
    {
        var present = new bool[_index.Entries.Count];
        using var device = SlotDevice.OpenRead(devicePath);
        if (device.Size < _image.Size)
        {
            return present;
        }
        long done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, present.Length), new ParallelOptions { MaxDegreeOfParallelism = _workers, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                int length = _index.ChunkLength(i);
                var buffer = new byte[length];
                int read = 0;
                while (read < length)
                {
                    int n = await RandomAccess.ReadAsync(device.Handle, buffer.AsMemory(read), _index.ChunkOffset(i) + read, ct).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }
                    read += n;
                }
                present[i] = SHA256.HashData(buffer).AsSpan().SequenceEqual(_index.Entries[i].Sha256.Span);
                progress?.Invoke(Interlocked.Add(ref done, length));
            }).ConfigureAwait(false);
        return present;
    }

    /// <summary>Writes every chunk not marked present; returns the bytes written. Ends with fsync.</summary>
    public async Task<long> WriteAsync(SlotDevice target, SlotDevice? tailTarget, bool[] present, Action<long>? progress, CancellationToken cancellationToken)
    {
        int chunkSize = (int)_index.ChunkSize;
        int maxStored = ChunkIndex.MaxStoredLength(chunkSize);
        var pipeline = new OrderedPipeline<ChunkSlot>(_workers * 2,
            () => new ChunkSlot(chunkSize, maxStored),
            slot => ChunkCheck.DecodeAndVerify(_index, slot.Chunk, slot.Stored.AsSpan(0, slot.StoredLength), slot.Data.Memory.Span),
            slot => slot.Dispose());
        long written = 0;
        await pipeline.RunAsync(
            async (chunks, ct) =>
            {
                foreach (var (first, count) in MissingRuns(present))
                {
                    await using var run = await _bundle.OpenChunksAsync(_index, first, count, ct).ConfigureAwait(false);
                    for (int i = 0; i < count; i++)
                    {
                        var slot = chunks.Rent();
                        (slot.Chunk, slot.StoredLength) = await run.ReadNextAsync(slot.Stored, ct).ConfigureAwait(false);
                        await chunks.SubmitAsync(slot).ConfigureAwait(false);
                    }
                }
            },
            async (slot, ct) =>
            {
                int length = _index.ChunkLength(slot.Chunk);
                // O_DIRECT needs aligned lengths; only an image's short last chunk can miss that, and it goes
                // through the buffered handle.
                var device = target.IsDirect && length % SlotDevice.DirectIoAlignment != 0 ? tailTarget ?? target : target;
                await RandomAccess.WriteAsync(device.Handle, slot.Data.Memory[..length], _index.ChunkOffset(slot.Chunk), ct).ConfigureAwait(false);
                written += length;
                progress?.Invoke(length);
            },
            cancellationToken).ConfigureAwait(false);
        target.Flush();
        tailTarget?.Flush();
        return written;
    }

    /// <summary>Runs of consecutive chunks to fetch, so adjacent ones are read in one range request.</summary>
    internal static IEnumerable<(int First, int Count)> MissingRuns(bool[] present)
    {
        int i = 0;
        while (i < present.Length)
        {
            if (present[i])
            {
                i++;
                continue;
            }
            int first = i;
            while (i < present.Length && !present[i])
            {
                i++;
            }
            yield return (first, i - first);
        }
    }

    /// <summary>One chunk in flight: its stored bytes as read, and the aligned native buffer it decodes into.</summary>
    private sealed class ChunkSlot(int chunkSize, int maxStored) : IDisposable
    {
        public byte[] Stored { get; } = new byte[maxStored];

        public AlignedBuffer Data { get; } = new(chunkSize);

        public int Chunk { get; set; }

        public int StoredLength { get; set; }

        public void Dispose() => ((IDisposable)Data).Dispose();
    }
}
