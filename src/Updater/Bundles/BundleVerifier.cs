// SPDX-License-Identifier: Apache-2.0
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
        if (!await _bundle.PayloadMatchesManifestAsync(image, cancellationToken).ConfigureAwait(false))
        {
            await VerifyChunksAsync(image, cancellationToken).ConfigureAwait(false);
            long start = _bundle.PayloadOffset(image);
            throw new BundleFormatException($"{_bundle.Name}: payload of image '{image.SlotClass}' (bundle bytes {start}..{start + image.Payload.Length}) does not match the signed manifest");
        }
    }

    public async Task VerifyAllAsync(CancellationToken cancellationToken)
    {
        var (gapStart, gap) = await _bundle.ReadPaddingAsync(cancellationToken).ConfigureAwait(false);
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
        await using var chunks = await _bundle.OpenChunksAsync(index, 0, index.Entries.Count, cancellationToken).ConfigureAwait(false);
        var stored = new byte[ChunkIndex.MaxStoredLength(image.ChunkSize)];
        var chunk = new byte[image.ChunkSize];
        while (chunks.Next < index.Entries.Count)
        {
            var (i, length) = await chunks.ReadNextAsync(stored, cancellationToken).ConfigureAwait(false);
            imageHash.AppendData(ChunkCheck.DecodeAndVerify(index, i, stored.AsSpan(0, length), chunk));
        }
        string actual = Convert.ToHexStringLower(imageHash.GetHashAndReset());
        if (actual != image.Sha256)
        {
            throw new BundleFormatException($"{_bundle.Name}: image '{image.SlotClass}' hashes to {actual}, the manifest says {image.Sha256}");
        }
    }
}
