// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Bundles;

/// <summary>
/// The signed description of a release (docs/bundle-format.md). Serialized as compact JSON with properties in
/// declaration order; the signature covers the exact bytes, so readers never re-serialize to verify.
/// </summary>
internal sealed record BundleManifest
{
    /// <summary>The manifest format this updater writes and reads (its "format" field).</summary>
    public const int SupportedFormat = 2;

    [JsonPropertyName("format")] public required int Format { get; init; }
    [JsonPropertyName("compatible")] public required string Compatible { get; init; }
    [JsonPropertyName("version")] public required string Version { get; init; }
    [JsonPropertyName("security_version")] public required long SecurityVersion { get; init; }
    [JsonPropertyName("allow_downgrade")] public bool AllowDowngrade { get; init; }
    [JsonPropertyName("created")] public required string Created { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("images")] public required IReadOnlyList<ImageManifest> Images { get; init; }

    /// <summary>
    /// Slot classes this bundle deliberately carries no image for, and what they may hold: without an entry
    /// here, a bundle must carry an image for every configured class (a partial bundle would activate a side
    /// whose other slots hold stale or unknown content).
    /// </summary>
    [JsonPropertyName("keep")] public IReadOnlyList<KeptSlotClass>? Keep { get; init; }

    /// <summary>The bundle's own install-check and post-install hooks; null when it has none.</summary>
    [JsonPropertyName("hooks")] public BundleHooks? Hooks { get; init; }
}

/// <summary>One image of a bundle: what slot class it goes to, its size and hash, and where its index and payload are.</summary>
internal sealed record ImageManifest
{
    [JsonPropertyName("slot_class")] public required string SlotClass { get; init; }
    [JsonPropertyName("size")] public required long Size { get; init; }
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
    [JsonPropertyName("chunk_size")] public required int ChunkSize { get; init; }
    [JsonPropertyName("chunk_count")] public required long ChunkCount { get; init; }
    [JsonPropertyName("compression")] public required string Compression { get; init; }
    [JsonPropertyName("index")] public required IndexLocation Index { get; init; }
    [JsonPropertyName("payload")] public required PayloadLocation Payload { get; init; }
}

/// <summary>Where an image's chunk index is, relative to the data area, and its SHA-256.</summary>
internal sealed record IndexLocation(
    [property: JsonPropertyName("offset")] long Offset,
    [property: JsonPropertyName("length")] long Length,
    [property: JsonPropertyName("sha256")] string Sha256);

/// <summary>
/// Where an image's payload is, relative to the data area, and the SHA-256 of its stored bytes: lets a local
/// install check the whole payload before the first write, so a corrupt bundle leaves the slot untouched.
/// </summary>
internal sealed record PayloadLocation(
    [property: JsonPropertyName("offset")] long Offset,
    [property: JsonPropertyName("length")] long Length,
    [property: JsonPropertyName("sha256")] string Sha256);

// Duplicate keys are refused, not last-wins: two readers (ours and another tool) must never see different
// values in the same signed bytes. The manifest nests four levels deep; the depth bound is a little above.
[JsonSerializable(typeof(BundleManifest))]
[JsonSourceGenerationOptions(WriteIndented = false, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, AllowDuplicateProperties = false, MaxDepth = 8)]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
