// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Updater.Crypto;

namespace Updater.Trust;

/// <summary>Parses a root document and checks everything beyond its JSON shape; each violation names the field.</summary>
internal static class RootRules
{
    public const int MaxKeys = 64;
    public const int MaxKeysPerRole = 16;

    public static RootDocument Parse(byte[] payload, string name)
    {
        RootDocument? root;
        try
        {
            root = JsonSerializer.Deserialize(payload, RootJsonContext.Default.RootDocument);
        }
        catch (JsonException e)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{name}: root document is malformed: {JsonProblem.Describe(e)}");
        }
        if (root is null)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{name}: root document is empty");
        }
        Check(root, name);
        return root;
    }

    public static void Check(RootDocument r, string name)
    {
        Require(r.Format == RootDocument.SupportedFormat, name, "format", $"is {r.Format}, this updater reads format {RootDocument.SupportedFormat}");
        Require(r.Type == RootDocument.DocumentType, name, "type", $"must be \"{RootDocument.DocumentType}\"");
        Require(r.Version >= 1, name, "version", "must be 1 or more");
        Require(r.Expires > r.Issued, name, "expires", "must be later than 'issued'");
        Require(r.Keys is { Count: > 0 and <= MaxKeys }, name, "keys", $"must list 1..{MaxKeys} keys");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < r.Keys.Count; i++)
        {
            var key = r.Keys[i];
            string field = $"keys[{i}]";
            Require(key is not null, name, field, "is null");
            Require(key!.Algorithm == SignatureEnvelope.Algorithm, name, $"{field}.algorithm", $"must be \"{SignatureEnvelope.Algorithm}\"");
            Require(PublicKeys.TryFromRawHex(key.Public, out _), name, $"{field}.public", $"must be a raw Ed25519 public key as {PublicKeys.RawHexLength} lowercase hex digits");
            string id = KeyId.Of(Convert.FromHexString(key.Public));
            Require(key.Id == id, name, $"{field}.id", $"must be {id}, the id of its public key");
            Require(ids.Add(key.Id), name, $"{field}.id", "lists a key twice");
        }
        Require(r.Roles is not null, name, "roles", "is missing");
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var role in TrustRoles.All)
        {
            var keys = r.Roles![role];
            string field = $"roles.{role.Name()}";
            Require(keys is not null, name, field, "is missing");
            Require(keys!.Keys is { Count: > 0 and <= MaxKeysPerRole }, name, $"{field}.keys", $"must list 1..{MaxKeysPerRole} key ids");
            Require(keys.Threshold >= 1 && keys.Threshold <= keys.Keys.Count, name, $"{field}.threshold", $"is {keys.Threshold}, expected 1..{keys.Keys.Count} (the number of its keys)");
            var inRole = new HashSet<string>(StringComparer.Ordinal);
            foreach (string? id in keys.Keys)
            {
                Require(id is not null && ids.Contains(id), name, $"{field}.keys", $"names {Text.SafeText.Escape(id ?? "null")}, which 'keys' does not list");
                Require(inRole.Add(id!), name, $"{field}.keys", $"names {id} twice");
                used.Add(id!);
            }
        }
        foreach (var key in r.Keys)
        {
            Require(used.Contains(key.Id), name, "keys", $"lists {key.Id}, which no role names (remove it)");
        }
    }

    private static void Require(bool ok, string name, string field, string problem)
    {
        if (!ok)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{name}: root field '{field}' {problem}");
        }
    }
}
