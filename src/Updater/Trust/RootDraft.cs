// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using NSec.Cryptography;
using Updater.Crypto;

namespace Updater.Trust;

/// <summary>
/// The vendor side of roots: a first root from public keys, the next version from the one before (keys added or
/// removed, thresholds, expiry), each written as an unsigned draft that key holders then sign one by one, offline
/// (<see cref="RootSigning"/>). A draft is checked by the same rules devices apply before anyone signs it.
/// </summary>
internal static class RootDraft
{
    public static RootDocument Create(IReadOnlyDictionary<TrustRole, IReadOnlyList<PublicKey>> keys, IReadOnlyDictionary<TrustRole, int> thresholds,
        DateTimeOffset issued, DateTimeOffset expires)
    {
        var all = new List<RootKey>();
        var roles = new Dictionary<TrustRole, RoleKeys>();
        foreach (var role in TrustRoles.All)
        {
            var ids = new List<string>();
            foreach (var key in keys.TryGetValue(role, out var list) ? list : [])
            {
                var entry = Entry(key);
                if (all.All(k => k.Id != entry.Id))
                {
                    all.Add(entry);
                }
                if (!ids.Contains(entry.Id))
                {
                    ids.Add(entry.Id);
                }
            }
            if (ids.Count == 0)
            {
                throw new UpdaterException(ExitCode.Usage, $"the {role.Name()} role needs at least one key (--{role.Name()}-key PUB.pem)");
            }
            roles[role] = new RoleKeys(thresholds.TryGetValue(role, out int t) ? t : 1, ids);
        }
        return Checked(new RootDocument
        {
            Format = RootDocument.SupportedFormat,
            Type = RootDocument.DocumentType,
            Version = 1,
            Issued = Second(issued),
            Expires = Second(expires),
            Keys = all,
            Roles = new RootRoles(roles[TrustRole.Root], roles[TrustRole.Bundle], roles[TrustRole.Channel]),
        });
    }

    /// <summary>The next version: <paramref name="previous"/> with keys added and removed, thresholds and expiry changed.</summary>
    public static RootDocument Next(RootDocument previous, IEnumerable<(TrustRole Role, PublicKey Key)> add, IEnumerable<(TrustRole? Role, string KeyId)> remove,
        IReadOnlyDictionary<TrustRole, int> thresholds, DateTimeOffset issued, DateTimeOffset? expires)
    {
        var keys = previous.Keys.ToList();
        var roles = TrustRoles.All.ToDictionary(r => r, r => previous.Roles[r].Keys.ToList());
        foreach (var (role, key) in add)
        {
            var entry = Entry(key);
            if (keys.All(k => k.Id != entry.Id))
            {
                keys.Add(entry);
            }
            if (roles[role].Contains(entry.Id))
            {
                throw new UpdaterException(ExitCode.Usage, $"key {entry.Id} is already a {role.Name()} key");
            }
            roles[role].Add(entry.Id);
        }
        foreach (var (role, id) in remove)
        {
            var from = role is { } r ? [r] : TrustRoles.All.Where(x => roles[x].Contains(id)).ToList();
            if (from.Count == 0 || from.Any(x => !roles[x].Remove(id)))
            {
                throw new UpdaterException(ExitCode.Usage, $"key {id} is not a {(role is { } named ? named.Name() : "root, bundle or channel")} key of version {previous.Version}");
            }
        }
        // A key no role names any more is gone from the root: revoked.
        keys.RemoveAll(k => TrustRoles.All.All(r => !roles[r].Contains(k.Id)));
        RoleKeys Role(TrustRole r)
        {
            int threshold = thresholds.TryGetValue(r, out int t) ? t : Math.Min(previous.Roles[r].Threshold, Math.Max(1, roles[r].Count));
            return new RoleKeys(threshold, roles[r]);
        }
        var span = previous.Expires - previous.Issued;
        return Checked(previous with
        {
            Version = previous.Version + 1,
            Issued = Second(issued),
            Expires = Second(expires ?? issued + span),
            Keys = keys,
            Roles = new RootRoles(Role(TrustRole.Root), Role(TrustRole.Bundle), Role(TrustRole.Channel)),
        });
    }

    public static byte[] Serialize(RootDocument root) => JsonSerializer.SerializeToUtf8Bytes(root, RootJsonContext.Default.RootDocument);

    /// <summary>An unsigned draft: the document's exact bytes, as key holders will sign them.</summary>
    public static byte[] DraftFile(RootDocument root) => new SignedFile(Serialize(root), []).ToBytes();

    private static RootKey Entry(PublicKey key)
    {
        byte[] raw = key.Export(KeyBlobFormat.RawPublicKey);
        return new RootKey(KeyId.Of(raw), SignatureEnvelope.Algorithm, Convert.ToHexStringLower(raw));
    }

    private static RootDocument Checked(RootDocument root)
    {
        try
        {
            RootRules.Check(root, "new root");
        }
        catch (UpdaterException e)
        {
            throw new UpdaterException(ExitCode.Usage, e.Message);
        }
        return root;
    }

    private static DateTimeOffset Second(DateTimeOffset t) => new(t.UtcTicks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
