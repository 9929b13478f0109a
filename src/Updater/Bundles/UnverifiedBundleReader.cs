// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Updater.Transport;

namespace Updater.Bundles;

/// <summary>
/// Reads a bundle's header, manifest and signature envelope WITHOUT checking the signature: for `bundle info`
/// (no trust root at hand) and `channel create --bundle` (which only hashes the manifest), and as the first step
/// of <see cref="VerifiedBundle.OpenAsync"/>. Nothing read here may drive an install.
/// </summary>
internal static class UnverifiedBundleReader
{
    /// <summary>Header, manifest and signature bytes as the file has them; the header is checked, nothing else.</summary>
    public static async Task<(BundleHeader Header, byte[] Manifest, byte[] Signature)> ReadSignedPartAsync(IBundleSource source, CancellationToken cancellationToken)
    {
        // A file shorter than a header yields what it has: BundleHeader.Parse names it as too short.
        var headerBytes = new byte[Math.Clamp(source.Length, 0, BundleHeader.Size)];
        await source.ReadExactlyAsync(0, headerBytes, cancellationToken).ConfigureAwait(false);
        var header = BundleHeader.Parse(headerBytes, source.Length, source.Name);
        var manifestBytes = new byte[header.ManifestLength];
        await source.ReadExactlyAsync(header.ManifestOffset, manifestBytes, cancellationToken).ConfigureAwait(false);
        var signatureBytes = new byte[header.SignatureLength];
        await source.ReadExactlyAsync(header.SignatureOffset, signatureBytes, cancellationToken).ConfigureAwait(false);
        return (header, manifestBytes, signatureBytes);
    }

    /// <summary>Parses manifest bytes strictly and checks <see cref="ManifestRules"/>; says nothing about who signed them.</summary>
    public static BundleManifest ParseManifest(byte[] bytes, BundleHeader header, long bundleLength, string name)
    {
        BundleManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(bytes, ManifestJsonContext.Default.BundleManifest);
        }
        catch (JsonException e)
        {
            throw new BundleFormatException($"{name}: manifest (byte offset {header.ManifestOffset}) is malformed: {JsonProblem.Describe(e, header.ManifestOffset)}");
        }
        if (manifest is null)
        {
            throw new BundleFormatException($"{name}: manifest is empty");
        }
        ManifestRules.Check(manifest, bundleLength - header.DataOffset, name);
        return manifest;
    }
}
