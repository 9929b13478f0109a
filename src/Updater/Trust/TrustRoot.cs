// SPDX-License-Identifier: Apache-2.0
using NSec.Cryptography;
using Updater.Crypto;
using Updater.Fleet;

namespace Updater.Trust;

/// <summary>
/// A root document this device trusts: the one it shipped with, or one reached from it by rotations each
/// signed by a threshold of the version before and of its own root keys. It decides whose signatures count
/// for what (<see cref="Verify"/>); nothing else in the updater holds a public key.
/// </summary>
internal sealed class TrustRoot
{
    public const string SignatureDomain = "updater-root-v1";
    public const int MaxFileBytes = 64 * 1024;

    private readonly Dictionary<string, PublicKey> _keys;

    private TrustRoot(RootDocument document, byte[] fileBytes, string source)
    {
        Document = document;
        FileBytes = fileBytes;
        Source = source;
        _keys = new Dictionary<string, PublicKey>(StringComparer.Ordinal);
        foreach (var key in document.Keys)
        {
            PublicKeys.TryFromRawHex(key.Public, out var publicKey);
            _keys[key.Id] = publicKey;
        }
    }

    public RootDocument Document { get; }

    public long Version => Document.Version;

    /// <summary>The signed file exactly as read, for the state directory.</summary>
    public byte[] FileBytes { get; }

    public string Source { get; }

    /// <summary>
    /// The root a device ships with (or a vendor starts a chain from): trusted because of where it is, and
    /// checked to be signed by a threshold of its own root keys, so a corrupt or hand-edited file is caught.
    /// </summary>
    public static TrustRoot OpenAnchor(byte[] fileBytes, string source)
    {
        var file = SignedFile.Read(fileBytes, MaxFileBytes, source, "root file");
        // The anchor's keys are the only ones there are: its signatures can only be checked after it is parsed.
        var root = new TrustRoot(RootRules.Parse(file.Payload, source), fileBytes, source);
        root.Verify(TrustRole.Root, SignatureDomain, file.Payload, file.Signatures, source);
        return root;
    }

    /// <summary>
    /// The next root: version <see cref="Version"/> + 1 exactly, signed by a threshold of this root's root keys
    /// (checked before the document is parsed) and by a threshold of its own. Expiry of either does not matter
    /// here: an expired root may always be replaced by its successor.
    /// </summary>
    public TrustRoot Next(byte[] fileBytes, string source)
    {
        var file = SignedFile.Read(fileBytes, MaxFileBytes, source, "root file");
        Verify(TrustRole.Root, SignatureDomain, file.Payload, file.Signatures,
            $"{source}: as root version {Version + 1}, the successor of trusted version {Version} (a skipped, older or forged root is not signed so)");
        var document = RootRules.Parse(file.Payload, source);
        if (document.Version != Version + 1)
        {
            throw new UpdaterException(ExitCode.BadInput, document.Version <= Version
                ? $"{source}: root version {document.Version} is not newer than trusted version {Version}: refusing a rolled-back root"
                : $"{source}: root version {document.Version} skips version {Version + 1}: each root version must be installed in turn");
        }
        var next = new TrustRoot(document, fileBytes, source);
        next.Verify(TrustRole.Root, SignatureDomain, file.Payload, file.Signatures, $"{source}: root version {document.Version} by its own root keys");
        return next;
    }

    /// <summary>An expired root vouches for nothing but its successor: no bundle, no channel.</summary>
    public void RequireCurrent(DateTimeOffset now, string what)
    {
        if (now >= Document.Expires)
        {
            throw new UpdaterException(ExitCode.BadInput,
                $"{what}: trust root version {Version} ({Source}) expired at {UtcMinute.Format(Document.Expires)} (this device's clock: {UtcMinute.Format(now)}): nothing is trusted until root version {Version + 1} is installed (publish {Version + 1}.root.json beside the channel file, or run `updater trust update FILE`)");
        }
    }

    /// <summary>
    /// Counts the valid signatures by keys of <paramref name="role"/> and demands its threshold. A signature by
    /// one of the role's keys that does not verify fails the whole document (tampering, not a missing signer);
    /// signatures by keys outside the role never count, and the refusal says whose they are.
    /// </summary>
    /// <returns>The ids of the role's keys that signed, in signature order.</returns>
    public IReadOnlyList<string> Verify(TrustRole role, string domain, ReadOnlySpan<byte> document, IReadOnlyList<SignatureEntry> signatures, string what)
    {
        var keys = Document.Roles[role];
        byte[] message = SignatureEnvelope.Message(domain, document);
        var valid = new List<string>();
        var outside = new List<string>();
        foreach (var entry in signatures)
        {
            if (!keys.Keys.Contains(entry.KeyId, StringComparer.Ordinal))
            {
                outside.Add(entry.KeyId);
                continue;
            }
            if (!SignatureAlgorithm.Ed25519.Verify(_keys[entry.KeyId], message, Convert.FromHexString(entry.Signature)))
            {
                throw new UpdaterException(ExitCode.BadInput, $"{what}: the signature by {role.Name()} key {entry.KeyId} does not verify: the signed data was changed or the signature is corrupt");
            }
            valid.Add(entry.KeyId);
        }
        if (valid.Count >= keys.Threshold)
        {
            return valid;
        }
        string by = valid.Count == 0 ? "" : $" ({string.Join(", ", valid)})";
        string others = outside.Count == 0 ? "" : "; signatures that do not count: " + string.Join(", ", outside.Select(DescribeOutsider(role)));
        throw new UpdaterException(ExitCode.BadInput,
            $"{what}: {valid.Count} valid signature(s) by {role.Name()} keys{by}, {keys.Threshold} of {keys.Keys.Count} needed (trust root version {Version}){others}");
    }

    /// <summary>Whose key a signature outside the role is: another role's (it never counts here) or unknown to this root.</summary>
    private Func<string, string> DescribeOutsider(TrustRole role) => id =>
    {
        var roles = TrustRoles.All.Where(r => Document.Roles[r].Keys.Contains(id, StringComparer.Ordinal)).Select(r => r.Name()).ToList();
        return roles.Count > 0
            ? $"{id} (a {string.Join("/", roles)} key: it does not count for {role.Name()})"
            : $"{id} (not a key of trust root version {Version})";
    };

    public IReadOnlyList<string> KeysOf(TrustRole role) => Document.Roles[role].Keys;
}
