using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using Partition.Storage;
using Updater.Crypto;

namespace Updater.Bundles;

/// <summary>
/// Writes a bundle (docs/bundle-format.md): images are read once, chunk by chunk, compressed on all cores
/// with a bounded number of chunks in flight (memory stays flat whatever the image size), and written in
/// order. The data area is laid out first; the manifest, signed last, goes into space reserved before it.
/// The bundle appears under its name only when complete (written beside it, then renamed).
/// </summary>
internal sealed class BundleWriter
{
    public const int DefaultChunkSize = 1 << 20;

    private readonly BundleCreateRequest _request;
    private readonly IReadOnlyList<SigningKey> _keys;

    public BundleWriter(BundleCreateRequest request, IReadOnlyList<SigningKey> keys)
    {
        _request = request;
        _keys = keys;
    }

    public async Task<BundleManifest> WriteAsync(string output, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        Validate();
        var sizes = _request.Images.Select(i => new FileInfo(i.Path).Length).ToArray();
        var chunkCounts = sizes.Select(s => (s + _request.ChunkSize - 1) / _request.ChunkSize).ToArray();
        var created = (_request.Created ?? DateTimeOffset.UtcNow).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

        long dataOffset = ReserveSignedArea(chunkCounts, created);
        // AtomicFile: the bundle appears under its name complete and durable, and the temporary goes on any failure.
        using (var replacement = AtomicFile.Create(output, AtomicFile.WorldReadable))
        {
            var images = new List<ImageManifest>();
            var handle = replacement.Handle;
            {
                // Data area: every index first (their sizes are known up front), then every payload.
                long indexCursor = 0;
                long payloadCursor = chunkCounts.Sum(c => c * ChunkIndex.EntrySize);
                for (int i = 0; i < _request.Images.Count; i++)
                {
                    var input = _request.Images[i];
                    long indexOffset = indexCursor;
                    indexCursor += chunkCounts[i] * ChunkIndex.EntrySize;
                    var (entries, imageHash, payloadLength, payloadHash) = await WritePayloadAsync(handle, input.Path, sizes[i], dataOffset + payloadCursor, progress, cancellationToken).ConfigureAwait(false);
                    byte[] index = ChunkIndex.Encode(entries);
                    await RandomAccess.WriteAsync(handle, index, dataOffset + indexOffset, cancellationToken).ConfigureAwait(false);
                    images.Add(new ImageManifest
                    {
                        SlotClass = input.SlotClass,
                        Size = sizes[i],
                        Sha256 = imageHash,
                        ChunkSize = _request.ChunkSize,
                        ChunkCount = chunkCounts[i],
                        Compression = _request.Compress ? "zstd" : "none",
                        Index = new IndexLocation(indexOffset, index.Length, Convert.ToHexStringLower(SHA256.HashData(index))),
                        Payload = new PayloadLocation(payloadCursor, payloadLength, payloadHash),
                    });
                    payloadCursor += payloadLength;
                }

                var manifest = NewManifest(created, images);
                byte[] manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.BundleManifest);
                byte[] signature = SignatureEnvelope.Create(VerifiedBundle.SignatureDomain, manifestBytes, _keys);
                var header = new BundleHeader(BundleHeader.Size, manifestBytes.Length, BundleHeader.Size + manifestBytes.Length, signature.Length, dataOffset);
                if (header.SignatureOffset + signature.Length > dataOffset)
                {
                    throw new InvalidOperationException("manifest outgrew its reserved space");
                }
                // The gap up to the data area is zero, so `bundle verify` can insist on zeros there.
                var signedArea = new byte[dataOffset];
                header.ToBytes().CopyTo(signedArea, 0);
                manifestBytes.CopyTo(signedArea, BundleHeader.Size);
                signature.CopyTo(signedArea, header.SignatureOffset);
                await RandomAccess.WriteAsync(handle, signedArea, 0, cancellationToken).ConfigureAwait(false);
                replacement.Commit();
                return manifest;
            }
        }
    }

    private BundleManifest NewManifest(string created, IReadOnlyList<ImageManifest> images) => new()
    {
        Format = 1,
        Compatible = _request.Compatible,
        Version = _request.Version,
        SecurityVersion = _request.SecurityVersion,
        AllowDowngrade = _request.AllowDowngrade,
        Created = created,
        Description = _request.Description,
        Images = images,
    };

    /// <summary>
    /// Room for header, manifest and signature: the manifest serialized with every number at its widest,
    /// so the real one always fits; rounded up to 4 KiB so the data area is block-aligned.
    /// </summary>
    private long ReserveSignedArea(long[] chunkCounts, string created)
    {
        string hex = new('f', 64);
        var widest = NewManifest(created, _request.Images.Select((img, i) => new ImageManifest
        {
            SlotClass = img.SlotClass,
            Size = long.MaxValue,
            Sha256 = hex,
            ChunkSize = int.MaxValue,
            ChunkCount = long.MaxValue,
            Compression = "zstd",
            Index = new IndexLocation(long.MaxValue, long.MaxValue, hex),
            Payload = new PayloadLocation(long.MaxValue, long.MaxValue, hex),
        }).ToList()) with { SecurityVersion = long.MaxValue };
        int manifestMax = JsonSerializer.SerializeToUtf8Bytes(widest, ManifestJsonContext.Default.BundleManifest).Length;
        int signatureLength = SignatureEnvelope.Create(VerifiedBundle.SignatureDomain, [], _keys).Length;
        long end = BundleHeader.Size + manifestMax + signatureLength;
        if (manifestMax > BundleHeader.MaxManifestLength)
        {
            throw new UpdaterException(ExitCode.Usage, "too much metadata for one bundle (the manifest would exceed 1 MiB)");
        }
        return (end + 4095) / 4096 * 4096;
    }

    private sealed record CompressedChunk(byte[] Buffer, int Length, ChunkEncoding Encoding);

    private async Task<(List<ChunkEntry> Entries, string ImageHash, long PayloadLength, string PayloadHash)> WritePayloadAsync(
        SafeFileHandle output, string path, long size, long payloadStart, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        int chunkSize = _request.ChunkSize;
        int workers = _request.Workers > 0 ? _request.Workers : Environment.ProcessorCount;
        int maxStored = ChunkIndex.MaxStoredLength(chunkSize);
        var pool = ArrayPool<byte>.Shared;
        // Ordered parallelism: the reader queues one task per chunk in file order; the writer awaits them in
        // the same order. The bounded queue caps the chunks in memory at about twice the worker count.
        var queue = Channel.CreateBounded<Task<(byte[] Hash, CompressedChunk Chunk)>>(new BoundedChannelOptions(workers * 2) { SingleReader = true, SingleWriter = true });
        using var imageHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var payloadHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        var reader = Task.Run(async () =>
        {
            try
            {
                await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
                for (long offset = 0; offset < size; offset += chunkSize)
                {
                    int length = (int)Math.Min(chunkSize, size - offset);
                    byte[] raw = pool.Rent(length);
                    await input.ReadExactlyAsync(raw.AsMemory(0, length), cts.Token).ConfigureAwait(false);
                    imageHash.AppendData(raw, 0, length);
                    var job = Task.Run(() =>
                    {
                        try
                        {
                            byte[] hash = SHA256.HashData(raw.AsSpan(0, length));
                            byte[] stored = pool.Rent(maxStored);
                            var (n, encoding) = _request.Compress
                                ? ChunkCodec.Encode(raw.AsSpan(0, length), stored, _request.CompressionLevel)
                                : (CopyStored(raw.AsSpan(0, length), stored), ChunkEncoding.Stored);
                            return (hash, new CompressedChunk(stored, n, encoding));
                        }
                        finally
                        {
                            pool.Return(raw);
                        }
                    }, cts.Token);
                    await queue.Writer.WriteAsync(job, cts.Token).ConfigureAwait(false);
                }
                queue.Writer.Complete();
            }
            catch (Exception e)
            {
                queue.Writer.Complete(e);
                throw;
            }
        }, cts.Token);

        var entries = new List<ChunkEntry>();
        long written = 0;
        try
        {
            await foreach (var job in queue.Reader.ReadAllAsync(cts.Token).ConfigureAwait(false))
            {
                var (hash, chunk) = await job.ConfigureAwait(false);
                try
                {
                    await RandomAccess.WriteAsync(output, chunk.Buffer.AsMemory(0, chunk.Length), payloadStart + written, cts.Token).ConfigureAwait(false);
                    payloadHash.AppendData(chunk.Buffer, 0, chunk.Length);
                    entries.Add(new ChunkEntry(hash, written, chunk.Length, chunk.Encoding));
                    written += chunk.Length;
                    progress?.Report(Math.Min((long)entries.Count * chunkSize, size));
                }
                finally
                {
                    pool.Return(chunk.Buffer);
                }
            }
            await reader.ConfigureAwait(false);
        }
        catch
        {
            await cts.CancelAsync().ConfigureAwait(false);
            throw;
        }
        return (entries, Convert.ToHexStringLower(imageHash.GetHashAndReset()), written, Convert.ToHexStringLower(payloadHash.GetHashAndReset()));
    }

    private static int CopyStored(ReadOnlySpan<byte> raw, Span<byte> stored)
    {
        raw.CopyTo(stored);
        return raw.Length;
    }

    private void Validate()
    {
        if (_request.Images.Count is 0 or > ManifestRules.MaxImages)
        {
            throw new UpdaterException(ExitCode.Usage, $"a bundle holds 1..{ManifestRules.MaxImages} images");
        }
        if (_keys.Count == 0)
        {
            throw new UpdaterException(ExitCode.Usage, "a bundle needs at least one signing key");
        }
        int cs = _request.ChunkSize;
        if (cs < ManifestRules.MinChunkSize || cs > ManifestRules.MaxChunkSize || (cs & (cs - 1)) != 0)
        {
            throw new UpdaterException(ExitCode.Usage, $"chunk size {cs} must be a power of two from {ManifestRules.MinChunkSize} to {ManifestRules.MaxChunkSize}");
        }
        if (!ReleaseVersion.TryParse(_request.Version, out _))
        {
            throw new UpdaterException(ExitCode.Usage, $"version '{_request.Version}' is not a version (expected e.g. 2.1.0 or 2.1.0-rc1)");
        }
        if (_request.SecurityVersion < 0)
        {
            throw new UpdaterException(ExitCode.Usage, "security version must not be negative");
        }
        foreach (var group in _request.Images.GroupBy(i => i.SlotClass))
        {
            if (group.Count() > 1)
            {
                throw new UpdaterException(ExitCode.Usage, $"slot class '{group.Key}' is given twice");
            }
        }
        foreach (var image in _request.Images)
        {
            if (image.SlotClass.Length == 0 || !image.SlotClass.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw new UpdaterException(ExitCode.Usage, $"slot class '{image.SlotClass}' must be letters, digits, '-' or '_'");
            }
            var info = new FileInfo(image.Path);
            if (!info.Exists)
            {
                throw new UpdaterException(ExitCode.Usage, $"{image.Path}: no such image file");
            }
            if (info.Length == 0)
            {
                throw new UpdaterException(ExitCode.Usage, $"{image.Path}: image is empty");
            }
        }
    }
}
