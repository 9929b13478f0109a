// SPDX-License-Identifier: Apache-2.0
using NSec.Cryptography;
using Updater.Crypto;

namespace Updater.Trust;

/// <summary>
/// Signing a root draft, one key holder at a time: each adds a signature to the file and passes it on (or
/// signs a copy, and the copies are merged). What a key holder may sign with: a root key of the draft or of
/// the version before it (both thresholds must be met before devices accept it, <see cref="Progress"/>).
/// </summary>
internal static class RootSigning
{
    public static async Task<SignedFile> SignAsync(SignedFile draft, RootDocument document, RootDocument? previous, IReadOnlyList<ISigner> signers, CancellationToken cancellationToken)
    {
        foreach (var signer in signers)
        {
            bool counts = document.Roles.Root.Keys.Contains(signer.KeyId) || previous?.Roles.Root.Keys.Contains(signer.KeyId) == true;
            if (!counts)
            {
                throw new UpdaterException(ExitCode.Usage, $"key {signer.KeyId} is not a root key of version {document.Version}{(previous is null ? " (give --previous when the old root's keys sign a rotation)" : $" or {previous.Version}")}: its signature would not count");
            }
        }
        var added = await SignatureEnvelope.SignAsync(TrustRoot.SignatureDomain, draft.Payload, signers, cancellationToken).ConfigureAwait(false);
        return Merge([draft, draft with { Signatures = added }], "signed root");
    }

    /// <summary>One file with every signature of copies of the same draft; copies of different drafts are refused.</summary>
    public static SignedFile Merge(IReadOnlyList<SignedFile> copies, string what)
    {
        var first = copies[0];
        var signatures = new List<SignatureEntry>();
        foreach (var copy in copies)
        {
            if (!copy.Payload.AsSpan().SequenceEqual(first.Payload))
            {
                throw new UpdaterException(ExitCode.BadInput, $"{what}: the copies are of different root documents: only copies of one draft can be merged");
            }
            signatures.AddRange(copy.Signatures.Where(s => signatures.All(have => have.KeyId != s.KeyId)));
        }
        if (signatures.Count > SignatureEnvelope.MaxSignatures)
        {
            throw new UpdaterException(ExitCode.Usage, $"{what}: {signatures.Count} signatures, at most {SignatureEnvelope.MaxSignatures}");
        }
        return first with { Signatures = signatures };
    }

    /// <summary>How far a draft is from what devices accept: per threshold that applies, who signed validly and who is still needed.</summary>
    public static IReadOnlyList<ThresholdProgress> Progress(SignedFile file, RootDocument document, RootDocument? previous)
    {
        byte[] message = SignatureEnvelope.Message(TrustRoot.SignatureDomain, file.Payload);
        var result = new List<ThresholdProgress>();
        foreach (var (root, label) in previous is null ? [(document, $"version {document.Version}'s own root keys")] : new[]
                 {
                     (previous, $"version {previous.Version}'s root keys (the version before)"),
                     (document, $"version {document.Version}'s own root keys"),
                 })
        {
            var role = root.Roles.Root;
            var signed = new List<string>();
            var invalid = new List<string>();
            foreach (var entry in file.Signatures.Where(s => role.Keys.Contains(s.KeyId)))
            {
                var key = root.Keys.First(k => k.Id == entry.KeyId);
                PublicKeys.TryFromRawHex(key.Public, out var publicKey);
                (SignatureAlgorithm.Ed25519.Verify(publicKey, message, Convert.FromHexString(entry.Signature)) ? signed : invalid).Add(entry.KeyId);
            }
            result.Add(new ThresholdProgress(label, role.Threshold, signed, invalid, role.Keys.Except(signed).Except(invalid).ToList()));
        }
        return result;
    }
}

/// <summary>One threshold a root must meet: who signed (validly, or not), who has not.</summary>
internal sealed record ThresholdProgress(string Label, int Threshold, IReadOnlyList<string> Signed, IReadOnlyList<string> Invalid, IReadOnlyList<string> Missing)
{
    public bool Met => Signed.Count >= Threshold && Invalid.Count == 0;
}
