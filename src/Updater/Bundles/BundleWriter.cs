// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
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
    private readonly IReadOnlyList<ISigner> _keys;

    public BundleWriter(BundleCreateRequest request, IReadOnlyList<ISigner> keys)
    {
        _request = request;
        _keys = keys;
    }

    public async Task<BundleManifest> WriteAsync(string output, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        CheckInputs();
        var sizes = _request.Images.Select(i => new FileInfo(i.Path).Length).ToArray();
        // Guarded so that a nonsensical chunk size reaches the manifest rules below instead of dividing by zero.
        var chunkCounts = sizes.Select(s => (s + _request.ChunkSize - 1) / Math.Max(1, _request.ChunkSize)).ToArray();
        var created = (_request.Created ?? DateTimeOffset.UtcNow).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        CheckDraft(output, sizes, chunkCounts, created);

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
                    var (index, imageHash, payloadLength, payloadHash) = await WritePayloadAsync(handle, input.Path, sizes[i], chunkCounts[i], dataOffset + payloadCursor, progress, cancellationToken).ConfigureAwait(false);
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
                // What is signed must pass the reader's rules: a writer bug fails here, not on every device.
                ManifestRules.Check(manifest, payloadCursor, output);
                byte[] manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.BundleManifest);
                byte[] signature = await SignatureEnvelope.CreateAsync(VerifiedBundle.SignatureDomain, manifestBytes, _keys, cancellationToken).ConfigureAwait(false);
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
        Format = BundleManifest.SupportedFormat,
        Compatible = _request.Compatible,
        Version = _request.Version,
        SecurityVersion = _request.SecurityVersion,
        AllowDowngrade = _request.AllowDowngrade,
        Created = created,
        Description = _request.Description,
        Images = images,
        Keep = _request.Keep,
        Hooks = _request.Hooks,
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
        // Known without signing: an external signer (an HSM) is asked once, for the real manifest.
        int signatureLength = SignatureEnvelope.LengthFor(_keys.Select(k => k.KeyId));
        long end = BundleHeader.Size + manifestMax + signatureLength;
        if (manifestMax > BundleHeader.MaxManifestLength)
        {
            throw new UpdaterException(ExitCode.Usage, "too much metadata for one bundle (the manifest would exceed 1 MiB)");
        }
        return (end + 4095) / 4096 * 4096;
    }

    /// <summary>Writes one image's payload; returns its index, filled in place record by record (no object per chunk).</summary>
    private async Task<(byte[] Index, string ImageHash, long PayloadLength, string PayloadHash)> WritePayloadAsync(
        SafeFileHandle output, string path, long size, long chunkCount, long payloadStart, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        int chunkSize = _request.ChunkSize;
        int workers = _request.Workers > 0 ? _request.Workers : Environment.ProcessorCount;
        int maxStored = ChunkIndex.MaxStoredLength(chunkSize);
        using var imageHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var payloadHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Ordered parallelism: chunks are read in file order, hashed and compressed on all cores, and written
        // in the same order; about twice the worker count are in memory at once.
        var pipeline = new OrderedPipeline<ChunkSlot>(workers * 2,
            () => new ChunkSlot(chunkSize, maxStored),
            Compress,
            _ => { });
        var index = new byte[checked((int)(chunkCount * ChunkIndex.EntrySize))];
        int done = 0;
        long written = 0;
        await pipeline.RunAsync(
            async (chunks, ct) =>
            {
                await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
                for (long offset = 0; offset < size; offset += chunkSize)
                {
                    var slot = chunks.Rent();
                    slot.Length = (int)Math.Min(chunkSize, size - offset);
                    await input.ReadExactlyAsync(slot.Raw.AsMemory(0, slot.Length), ct).ConfigureAwait(false);
                    imageHash.AppendData(slot.Raw, 0, slot.Length);
                    await chunks.SubmitAsync(slot).ConfigureAwait(false);
                }
            },
            async (slot, ct) =>
            {
                await RandomAccess.WriteAsync(output, slot.Stored.AsMemory(0, slot.StoredLength), payloadStart + written, ct).ConfigureAwait(false);
                payloadHash.AppendData(slot.Stored, 0, slot.StoredLength);
                ChunkIndex.EncodeEntry(new ChunkEntry(slot.Hash, slot.StoredHash, written, slot.StoredLength, slot.Encoding), index.AsSpan(done * ChunkIndex.EntrySize, ChunkIndex.EntrySize));
                done++;
                written += slot.StoredLength;
                progress?.Report(Math.Min((long)done * chunkSize, size));
            },
            cancellationToken).ConfigureAwait(false);
        if (done != chunkCount)
        {
            throw new IOException($"{path}: read {done} chunks, expected {chunkCount} (did the image change size while it was read?)");
        }
        return (index, Convert.ToHexStringLower(imageHash.GetHashAndReset()), written, Convert.ToHexStringLower(payloadHash.GetHashAndReset()));
    }

    private void Compress(ChunkSlot slot)
    {
        var raw = slot.Raw.AsSpan(0, slot.Length);
        SHA256.HashData(raw, slot.Hash);
        (slot.StoredLength, slot.Encoding) = _request.Compress
            ? ChunkCodec.Encode(raw, slot.Stored, _request.CompressionLevel)
            : (CopyStored(raw, slot.Stored), ChunkEncoding.Stored);
        // The stored bytes of a chunk stored as is are its content: one hash serves both fields.
        if (slot.Encoding == ChunkEncoding.Stored)
        {
            slot.Hash.CopyTo(slot.StoredHash, 0);
        }
        else
        {
            SHA256.HashData(slot.Stored.AsSpan(0, slot.StoredLength), slot.StoredHash);
        }
    }

    private static int CopyStored(ReadOnlySpan<byte> raw, Span<byte> stored)
    {
        raw.CopyTo(stored);
        return raw.Length;
    }

    /// <summary>What the manifest rules cannot see: the signing keys and the image files themselves.</summary>
    private void CheckInputs()
    {
        if (_keys.Count == 0)
        {
            throw new UpdaterException(ExitCode.Usage, "a bundle needs at least one signing key");
        }
        foreach (var image in _request.Images)
        {
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

    /// <summary>
    /// Runs the reader's <see cref="ManifestRules"/> on the manifest this request would make, with placeholder
    /// hashes and payload lengths, before any image is read: a request devices would refuse (chunk size,
    /// slot classes, versions, compatible, image count) fails at once, by the very rules the devices apply.
    /// </summary>
    private void CheckDraft(string output, long[] sizes, long[] chunkCounts, string created)
    {
        string zeros = new('0', 64);
        long indexCursor = 0;
        long payloadCursor = chunkCounts.Sum(c => c * ChunkIndex.EntrySize);
        var images = new List<ImageManifest>();
        for (int i = 0; i < _request.Images.Count; i++)
        {
            long indexLength = chunkCounts[i] * ChunkIndex.EntrySize;
            // One byte per chunk: the smallest payload the index could describe.
            long payloadLength = Math.Max(1, chunkCounts[i]);
            images.Add(new ImageManifest
            {
                SlotClass = _request.Images[i].SlotClass,
                Size = sizes[i],
                Sha256 = zeros,
                ChunkSize = _request.ChunkSize,
                ChunkCount = chunkCounts[i],
                Compression = _request.Compress ? "zstd" : "none",
                Index = new IndexLocation(indexCursor, indexLength, zeros),
                Payload = new PayloadLocation(payloadCursor, payloadLength, zeros),
            });
            indexCursor += indexLength;
            payloadCursor += payloadLength;
        }
        try
        {
            ManifestRules.Check(NewManifest(created, images), payloadCursor, output);
        }
        catch (BundleFormatException e)
        {
            throw new UpdaterException(ExitCode.Usage, $"cannot make this bundle: {e.Message}");
        }
    }

    /// <summary>One chunk in flight: the image bytes as read, and what hashing and compressing made of them.</summary>
    private sealed class ChunkSlot(int chunkSize, int maxStored)
    {
        public byte[] Raw { get; } = new byte[chunkSize];

        public int Length { get; set; }

        public byte[] Stored { get; } = new byte[maxStored];

        public int StoredLength { get; set; }

        public ChunkEncoding Encoding { get; set; }

        /// <summary>SHA-256 of the content; copied into the index record when the chunk is written.</summary>
        public byte[] Hash { get; } = new byte[SHA256.HashSizeInBytes];

        /// <summary>SHA-256 of the stored bytes.</summary>
        public byte[] StoredHash { get; } = new byte[SHA256.HashSizeInBytes];
    }
}
