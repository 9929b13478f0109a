// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using Updater.Crypto;
using Updater.Transport;
using Updater.Trust;

namespace Updater.Bundles;

/// <summary>
/// A bundle whose signature has been verified by a threshold of the trust root's bundle keys and whose manifest has been checked for
/// consistency. Only through this type can an index or a payload be read: it keeps its source to itself and
/// hands out indexes checked against the manifest and chunk readers bounded by those indexes, so nothing
/// downstream ever sees bytes that the signature does not pin, nor computes an offset into the bundle.
/// </summary>
internal sealed class VerifiedBundle
{
    public const string SignatureDomain = "updater-bundle-manifest-v1";

    private readonly IBundleSource _source;

    private VerifiedBundle(IBundleSource source, BundleHeader header, byte[] manifestBytes, BundleManifest manifest, string keyId)
    {
        _source = source;
        Header = header;
        ManifestBytes = manifestBytes;
        Manifest = manifest;
        SignedBy = keyId;
        ManifestSha256 = Convert.ToHexStringLower(SHA256.HashData(manifestBytes));
    }

    public BundleHeader Header { get; }

    /// <summary>The manifest exactly as signed.</summary>
    public byte[] ManifestBytes { get; }

    public BundleManifest Manifest { get; }

    /// <summary>Identifies this exact release: an interrupted install resumes only the same manifest.</summary>
    public string ManifestSha256 { get; }

    /// <summary>The bundle keys whose signatures counted, comma-separated.</summary>
    public string SignedBy { get; }

    public string Name => _source.Name;

    /// <summary>Reads the header, manifest and signature; verifies the signature before the manifest is even parsed.</summary>
    public static async Task<VerifiedBundle> OpenAsync(IBundleSource source, TrustRoot root, CancellationToken cancellationToken)
    {
        var (header, manifestBytes, signatureBytes) = await UnverifiedBundleReader.ReadSignedPartAsync(source, cancellationToken).ConfigureAwait(false);
        var signatures = SignatureEnvelope.Parse(signatureBytes, source.Name);
        string keyId = string.Join(",", root.Verify(TrustRole.Bundle, SignatureDomain, manifestBytes, signatures, source.Name));
        var manifest = UnverifiedBundleReader.ParseManifest(manifestBytes, header, source.Length, source.Name);
        return new VerifiedBundle(source, header, manifestBytes, manifest, keyId);
    }

    /// <summary>Reads an image's chunk index and checks it against the hash the manifest pins.</summary>
    public async Task<ChunkIndex> ReadIndexAsync(ImageManifest image, CancellationToken cancellationToken)
    {
        var bytes = new byte[image.Index.Length];
        long at = Header.DataOffset + image.Index.Offset;
        await _source.ReadExactlyAsync(at, bytes, cancellationToken).ConfigureAwait(false);
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != image.Index.Sha256)
        {
            throw new BundleFormatException($"{Name}: chunk index of image '{image.SlotClass}' (byte offset {at}, {bytes.Length} bytes) does not match the signed manifest's hash");
        }
        return ChunkIndex.Parse(bytes, image, at, PayloadOffset(image), Name);
    }

    /// <summary>
    /// Opens chunks <paramref name="first"/>..first+count-1 of <paramref name="index"/> (an index this bundle
    /// read) for sequential reading of their stored bytes, in one range of the bundle.
    /// </summary>
    internal Task<StoredChunkReader> OpenChunksAsync(ChunkIndex index, int first, int count, CancellationToken cancellationToken)
    {
        if (index.BundleName != Name || Manifest.Images.All(i => PayloadOffset(i) != index.PayloadStart))
        {
            throw new ArgumentException($"the chunk index of image '{index.SlotClass}' was not read from {Name}", nameof(index));
        }
        return StoredChunkReader.OpenAsync(_source, index, first, count, cancellationToken);
    }

    /// <summary>
    /// One sequential read of an image's stored payload, hashed against the manifest's payload SHA-256: the
    /// cheap whole-payload check a local install runs before its first write. No byte leaves this method.
    /// </summary>
    internal async Task<bool> PayloadMatchesManifestAsync(ImageManifest image, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var stream = await _source.OpenRangeAsync(PayloadOffset(image), image.Payload.Length, cancellationToken).ConfigureAwait(false))
        {
            var buffer = new byte[1 << 20];
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, n);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset()) == image.Payload.Sha256;
    }

    /// <summary>The unsigned padding between the signature and the data area, for `bundle verify`'s zero check.</summary>
    internal async Task<(long Offset, byte[] Bytes)> ReadPaddingAsync(CancellationToken cancellationToken)
    {
        long start = Header.SignatureOffset + Header.SignatureLength;
        var bytes = new byte[Header.DataOffset - start];
        await _source.ReadExactlyAsync(start, bytes, cancellationToken).ConfigureAwait(false);
        return (start, bytes);
    }

    /// <summary>Absolute offset of <paramref name="image"/>'s payload in the bundle, for messages and tests.</summary>
    public long PayloadOffset(ImageManifest image) => Header.DataOffset + image.Payload.Offset;
}
