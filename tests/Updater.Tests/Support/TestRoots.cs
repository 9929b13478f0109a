// SPDX-License-Identifier: Apache-2.0
using NSec.Cryptography;
using Updater.Crypto;
using Updater.Trust;

namespace Updater.Tests.Support;

/// <summary>
/// Root documents for tests: any version, any keys per role, any threshold, signed by whichever keys a test
/// names (a valid rotation, or one an attacker made), in the wire format devices read.
/// </summary>
internal static class TestRoots
{
    public static readonly DateTimeOffset Issued = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    public static RootDocument Document(long version, IReadOnlyList<SigningKey> root, IReadOnlyList<SigningKey> bundle, IReadOnlyList<SigningKey> channel,
        int rootThreshold = 1, int bundleThreshold = 1, int channelThreshold = 1, DateTimeOffset? issued = null, DateTimeOffset? expires = null)
    {
        var all = root.Concat(bundle).Concat(channel).DistinctBy(k => k.Id).ToList();
        return new RootDocument
        {
            Format = RootDocument.SupportedFormat,
            Type = RootDocument.DocumentType,
            Version = version,
            Issued = issued ?? Issued.AddDays(version),
            Expires = expires ?? new DateTimeOffset(2125, 1, 1, 0, 0, 0, TimeSpan.Zero),
            Keys = all.Select(k => new RootKey(k.Id, SignatureEnvelope.Algorithm, Convert.ToHexStringLower(k.PublicKey.Export(KeyBlobFormat.RawPublicKey)))).ToList(),
            Roles = new RootRoles(
                new RoleKeys(rootThreshold, root.Select(k => k.Id).ToList()),
                new RoleKeys(bundleThreshold, bundle.Select(k => k.Id).ToList()),
                new RoleKeys(channelThreshold, channel.Select(k => k.Id).ToList())),
        };
    }

    public static byte[] Sign(RootDocument document, params SigningKey[] signers)
    {
        byte[] payload = RootDraft.Serialize(document);
        var signatures = signers.Length == 0 ? [] : SignatureEnvelope.Parse(SignatureEnvelope.Create(TrustRoot.SignatureDomain, payload, signers), "test root");
        return new SignedFile(payload, signatures).ToBytes();
    }

    /// <summary>A root naming one key for every role, signed by it: what keygen gives a first device.</summary>
    public static byte[] Single(SigningKey key, long version = 1) => Sign(Document(version, [key], [key], [key]), key);
}
