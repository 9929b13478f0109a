using System.Security.Cryptography;
using System.Text.Json;
using Updater.Crypto;
using Updater.Transport;

namespace Updater.Bundles;

/// <summary>
/// A bundle whose signature has been verified against the keyring and whose manifest has been checked for
/// consistency. Only through this type can an index or a payload be read, so nothing downstream ever sees
/// bytes that the signature does not pin.
/// </summary>
internal sealed class VerifiedBundle
{
    public const string SignatureDomain = "updater-bundle-manifest-v1";

    private VerifiedBundle(IBundleSource source, BundleHeader header, byte[] manifestBytes, BundleManifest manifest, string keyId)
    {
        Source = source;
        Header = header;
        ManifestBytes = manifestBytes;
        Manifest = manifest;
        SignedBy = keyId;
        ManifestSha256 = Convert.ToHexStringLower(SHA256.HashData(manifestBytes));
    }

    public IBundleSource Source { get; }

    public BundleHeader Header { get; }

    /// <summary>The manifest exactly as signed.</summary>
    public byte[] ManifestBytes { get; }

    public BundleManifest Manifest { get; }

    /// <summary>Identifies this exact release: an interrupted install resumes only the same manifest.</summary>
    public string ManifestSha256 { get; }

    public string SignedBy { get; }

    public string Name => Source.Name;

    /// <summary>Reads the header, manifest and signature; verifies the signature before the manifest is even parsed.</summary>
    public static async Task<VerifiedBundle> OpenAsync(IBundleSource source, Keyring keyring, CancellationToken cancellationToken)
    {
        var (header, manifestBytes, signatureBytes) = await ReadSignedPartAsync(source, cancellationToken).ConfigureAwait(false);
        string keyId = SignatureEnvelope.Verify(SignatureDomain, manifestBytes, signatureBytes, keyring, source.Name);
        var manifest = ParseManifest(manifestBytes, header, source.Length, source.Name);
        return new VerifiedBundle(source, header, manifestBytes, manifest, keyId);
    }

    /// <summary>Header, manifest and signature bytes, unverified: for `bundle info` without a keyring.</summary>
    public static async Task<(BundleHeader Header, byte[] Manifest, byte[] Signature)> ReadSignedPartAsync(IBundleSource source, CancellationToken cancellationToken)
    {
        var headerBytes = new byte[BundleHeader.Size];
        if (source.Length < BundleHeader.Size)
        {
            throw new BundleFormatException($"{source.Name}: {source.Length} bytes is too short for a bundle (the header alone is {BundleHeader.Size} bytes)");
        }
        await source.ReadExactlyAsync(0, headerBytes, cancellationToken).ConfigureAwait(false);
        var header = BundleHeader.Parse(headerBytes, source.Length, source.Name);
        var manifestBytes = new byte[header.ManifestLength];
        await source.ReadExactlyAsync(header.ManifestOffset, manifestBytes, cancellationToken).ConfigureAwait(false);
        var signatureBytes = new byte[header.SignatureLength];
        await source.ReadExactlyAsync(header.SignatureOffset, signatureBytes, cancellationToken).ConfigureAwait(false);
        return (header, manifestBytes, signatureBytes);
    }

    public static BundleManifest ParseManifest(byte[] bytes, BundleHeader header, long bundleLength, string name)
    {
        BundleManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(bytes, ManifestJsonContext.Default.BundleManifest);
        }
        catch (JsonException e)
        {
            throw new BundleFormatException($"{name}: manifest (byte offset {header.ManifestOffset}) is malformed: {e.Message}");
        }
        if (manifest is null)
        {
            throw new BundleFormatException($"{name}: manifest is empty");
        }
        ManifestRules.Check(manifest, bundleLength - header.DataOffset, name);
        return manifest;
    }

    /// <summary>Reads an image's chunk index and checks it against the hash the manifest pins.</summary>
    public async Task<ChunkIndex> ReadIndexAsync(ImageManifest image, CancellationToken cancellationToken)
    {
        var bytes = new byte[image.Index.Length];
        long at = Header.DataOffset + image.Index.Offset;
        await Source.ReadExactlyAsync(at, bytes, cancellationToken).ConfigureAwait(false);
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != image.Index.Sha256)
        {
            throw new BundleFormatException($"{Name}: chunk index of image '{image.SlotClass}' (byte offset {at}, {bytes.Length} bytes) does not match the signed manifest's hash");
        }
        return ChunkIndex.Parse(bytes, image, at, Name);
    }

    /// <summary>Absolute offset of a payload byte range of <paramref name="image"/>.</summary>
    public long PayloadOffset(ImageManifest image) => Header.DataOffset + image.Payload.Offset;
}
