// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Trust;

/// <summary>
/// The root of trust (docs/trust.md): every key the device trusts and, per role, which of them count and how
/// many must sign. Signed by a threshold of its own root keys and, from version 2 on, of the version before.
/// </summary>
internal sealed record RootDocument
{
    public const int SupportedFormat = 1;
    public const string DocumentType = "updater-root";

    [JsonPropertyName("format")] public required int Format { get; init; }
    [JsonPropertyName("type")] public required string Type { get; init; }

    /// <summary>1 for the root a device ships with; each rotation publishes exactly the next number.</summary>
    [JsonPropertyName("version")] public required long Version { get; init; }

    [JsonPropertyName("issued")] public required DateTimeOffset Issued { get; init; }

    /// <summary>From this time on the root is trusted for nothing but being replaced by its successor.</summary>
    [JsonPropertyName("expires")] public required DateTimeOffset Expires { get; init; }

    [JsonPropertyName("keys")] public required IReadOnlyList<RootKey> Keys { get; init; }
    [JsonPropertyName("roles")] public required RootRoles Roles { get; init; }
}

/// <param name="Id">KeyId of the raw public key: the id signatures name.</param>
/// <param name="Public">The raw 32-byte Ed25519 public key, 64 lowercase hex digits.</param>
internal sealed record RootKey(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("algorithm")] string Algorithm,
    [property: JsonPropertyName("public")] string Public);

internal sealed record RootRoles(
    [property: JsonPropertyName("root")] RoleKeys Root,
    [property: JsonPropertyName("bundle")] RoleKeys Bundle,
    [property: JsonPropertyName("channel")] RoleKeys Channel)
{
    public RoleKeys this[TrustRole role] => role switch
    {
        TrustRole.Root => Root,
        TrustRole.Bundle => Bundle,
        TrustRole.Channel => Channel,
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };
}

/// <summary>A role: the ids of its keys and how many of them must sign (k of n).</summary>
internal sealed record RoleKeys(
    [property: JsonPropertyName("threshold")] int Threshold,
    [property: JsonPropertyName("keys")] IReadOnlyList<string> Keys);

// Compact, in declaration order (what is signed stays small: pkcs11-tool signs Ed25519 in one part only up to 1024
// bytes); duplicate keys and unknown fields are refused: every reader must see one meaning.
[JsonSerializable(typeof(RootDocument))]
[JsonSourceGenerationOptions(WriteIndented = false, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false, MaxDepth = 8)]
internal sealed partial class RootJsonContext : JsonSerializerContext;
