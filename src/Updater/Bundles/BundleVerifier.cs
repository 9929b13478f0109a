using System.Security.Cryptography;

namespace Updater.Bundles;

/// <summary>
/// `updater bundle verify`: everything an install would check, without a slot: every index against the
/// manifest, every chunk against its index, each whole image against its SHA-256, and zeros in the gap
/// before the data area (which no signature covers).
/// </summary>
internal sealed class BundleVerifier
{
    private readonly VerifiedBundle _bundle;

    public BundleVerifier(VerifiedBundle bundle)
    {
        _bundle = bundle;
    }

    /// <summary>
    /// The cheap whole-payload check a local install runs before its first write: one sequential read and
    /// SHA-256 of the stored bytes. On a mismatch it finds and names the bad chunk.
    /// </summary>
    public async Task VerifyPayloadAsync(ImageManifest image, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var stream = await _bundle.Source.OpenRangeAsync(_bundle.PayloadOffset(image), image.Payload.Length, cancellationToken).ConfigureAwait(false))
        {
            var buffer = new byte[1 << 20];
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, n);
            }
        }
        if (Convert.ToHexStringLower(hash.GetHashAndReset()) != image.Payload.Sha256)
        {
            await VerifyChunksAsync(image, cancellationToken).ConfigureAwait(false);
            throw new BundleFormatException($"{_bundle.Name}: payload of image '{image.SlotClass}' (bundle bytes {_bundle.PayloadOffset(image)}..{_bundle.PayloadOffset(image) + image.Payload.Length}) does not match the signed manifest");
        }
    }

    public async Task VerifyAllAsync(CancellationToken cancellationToken)
    {
        var header = _bundle.Header;
        long gapStart = header.SignatureOffset + header.SignatureLength;
        var gap = new byte[header.DataOffset - gapStart];
        await _bundle.Source.ReadExactlyAsync(gapStart, gap, cancellationToken).ConfigureAwait(false);
        int nonZero = Array.FindIndex(gap, b => b != 0);
        if (nonZero >= 0)
        {
            throw new BundleFormatException($"{_bundle.Name}: byte offset {gapStart + nonZero} in the padding before the data area is not zero");
        }

        foreach (var image in _bundle.Manifest.Images)
        {
            await VerifyPayloadAsync(image, cancellationToken).ConfigureAwait(false);
            await VerifyChunksAsync(image, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task VerifyChunksAsync(ImageManifest image, CancellationToken cancellationToken)
    {
        var index = await _bundle.ReadIndexAsync(image, cancellationToken).ConfigureAwait(false);
        using var imageHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = await _bundle.Source.OpenRangeAsync(_bundle.PayloadOffset(image), image.Payload.Length, cancellationToken).ConfigureAwait(false);
        var stored = new byte[ChunkIndex.MaxStoredLength(image.ChunkSize)];
        var chunk = new byte[image.ChunkSize];
        for (int i = 0; i < index.Entries.Count; i++)
        {
            var entry = index.Entries[i];
            string what = $"{_bundle.Name}: image '{image.SlotClass}' chunk {i} (bundle byte offset {_bundle.PayloadOffset(image) + entry.Offset})";
            await stream.ReadExactlyAsync(stored.AsMemory(0, entry.StoredLength), cancellationToken).ConfigureAwait(false);
            var data = chunk.AsSpan(0, index.ChunkLength(i));
            ChunkCodec.Decode(stored.AsSpan(0, entry.StoredLength), entry.Encoding, data, what);
            if (!SHA256.HashData(data).AsSpan().SequenceEqual(entry.Sha256))
            {
                throw new BundleFormatException($"{what}: SHA-256 does not match the signed index");
            }
            imageHash.AppendData(data);
        }
        string actual = Convert.ToHexStringLower(imageHash.GetHashAndReset());
        if (actual != image.Sha256)
        {
            throw new BundleFormatException($"{_bundle.Name}: image '{image.SlotClass}' hashes to {actual}, the manifest says {image.Sha256}");
        }
    }
}
