using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Partition.Devices;
using Updater.Bundles;

namespace Updater.Install;

/// <summary>
/// Streams one image from a verified bundle onto a slot: fetch stored chunk, decompress, hash, compare with
/// the signed index, and only then write. Decoding and hashing run on all cores; writes happen in order. A
/// bounded queue and a fixed set of aligned buffers keep memory flat whatever the image size. No chunk
/// reaches the slot before its own hash has matched (invariant 2).
/// </summary>
public sealed class ImageWriter
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
                present[i] = SHA256.HashData(buffer).AsSpan().SequenceEqual(_index.Entries[i].Sha256);
                progress?.Invoke(Interlocked.Add(ref done, length));
            }).ConfigureAwait(false);
        return present;
    }

    /// <summary>Writes every chunk not marked present; returns the bytes written. Ends with fsync.</summary>
    public async Task<long> WriteAsync(SlotDevice target, SlotDevice? tailTarget, bool[] present, Action<long>? progress, CancellationToken cancellationToken)
    {
        int bufferSize = (int)_index.ChunkSize;
        int maxStored = ChunkIndex.MaxStoredLength(bufferSize);
        int inFlight = _workers * 2;
        var buffers = new ConcurrentBag<AlignedBuffer>();
        var storedBuffers = new ConcurrentBag<byte[]>();
        // Every native buffer ever allocated, so all are freed even when a chunk fails mid-flight: the daemon
        // lives on after a failed install.
        var allocated = new ConcurrentBag<AlignedBuffer>();
        AlignedBuffer NewBuffer()
        {
            var buffer = new AlignedBuffer(bufferSize);
            allocated.Add(buffer);
            return buffer;
        }
        for (int i = 0; i < inFlight + _workers + 2; i++)
        {
            buffers.Add(NewBuffer());
        }

        var queue = Channel.CreateBounded<Task<(int Chunk, AlignedBuffer Data)>>(new BoundedChannelOptions(inFlight) { SingleReader = true, SingleWriter = true });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        var producer = Task.Run(async () =>
        {
            try
            {
                foreach (var (first, count) in MissingRuns(present))
                {
                    await using var chunks = await _bundle.OpenChunksAsync(_index, first, count, cts.Token).ConfigureAwait(false);
                    for (int i = first; i < first + count; i++)
                    {
                        if (!storedBuffers.TryTake(out var stored))
                        {
                            stored = new byte[maxStored];
                        }
                        var (chunk, storedLength) = await chunks.ReadNextAsync(stored, cts.Token).ConfigureAwait(false);
                        if (!buffers.TryTake(out var data))
                        {
                            data = NewBuffer();
                        }
                        var job = Task.Run(() => DecodeAndVerify(chunk, stored, storedLength, data, storedBuffers), cts.Token);
                        try
                        {
                            await queue.Writer.WriteAsync(job, cts.Token).ConfigureAwait(false);
                        }
                        catch
                        {
                            // The job never reached the queue, so nobody else waits for it: it must end before
                            // its buffer is freed.
                            await AwaitQuietly(job).ConfigureAwait(false);
                            throw;
                        }
                    }
                }
                queue.Writer.Complete();
            }
            catch (Exception e)
            {
                queue.Writer.Complete(e);
            }
        }, cts.Token);

        long written = 0;
        try
        {
            await foreach (var job in queue.Reader.ReadAllAsync(cts.Token).ConfigureAwait(false))
            {
                var (chunk, data) = await job.ConfigureAwait(false);
                int length = _index.ChunkLength(chunk);
                // O_DIRECT needs aligned lengths; only an image's short last chunk can miss that, and it goes
                // through the buffered handle.
                var device = target.IsDirect && length % SlotDevice.DirectIoAlignment != 0 ? tailTarget ?? target : target;
                await RandomAccess.WriteAsync(device.Handle, data.Memory[..length], _index.ChunkOffset(chunk), cts.Token).ConfigureAwait(false);
                buffers.Add(data);
                written += length;
                progress?.Invoke(length);
            }
            await producer.ConfigureAwait(false);
        }
        catch
        {
            await cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            // Chunks still decoding use their buffers: let them finish before the buffers are freed.
            while (queue.Reader.TryRead(out var pending))
            {
                await AwaitQuietly(pending).ConfigureAwait(false);
            }
            throw;
        }
        finally
        {
            foreach (var b in allocated)
            {
                ((IDisposable)b).Dispose();
            }
        }
        target.Flush();
        tailTarget?.Flush();
        return written;
    }

    /// <summary>Waits for a chunk job whose result no longer matters (the install already failed).</summary>
    private static async Task AwaitQuietly(Task job)
    {
        try
        {
            await job.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The first failure is already on its way to the caller; this one only ends the job.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private (int, AlignedBuffer) DecodeAndVerify(int chunk, byte[] stored, int storedLength, AlignedBuffer data, ConcurrentBag<byte[]> storedBuffers)
    {
        try
        {
            ChunkCheck.DecodeAndVerify(_index, chunk, stored.AsSpan(0, storedLength), data.Memory.Span);
            return (chunk, data);
        }
        finally
        {
            storedBuffers.Add(stored);
        }
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
}
