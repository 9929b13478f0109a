// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.State;

/// <summary>
/// What the state directory knows about one slot's content: written atomically once an image is completely
/// written and verified, removed the moment an install starts overwriting the slot.
/// </summary>
internal sealed record SlotRecord
{
    [JsonPropertyName("slot")] public required string Slot { get; init; }
    [JsonPropertyName("bootname")] public required string Bootname { get; init; }
    [JsonPropertyName("version")] public required string Version { get; init; }
    [JsonPropertyName("security_version")] public required long SecurityVersion { get; init; }
    [JsonPropertyName("compatible")] public required string Compatible { get; init; }
    [JsonPropertyName("image_sha256")] public required string ImageSha256 { get; init; }
    [JsonPropertyName("image_size")] public required long ImageSize { get; init; }
    [JsonPropertyName("manifest_sha256")] public required string ManifestSha256 { get; init; }
    [JsonPropertyName("signed_by")] public required string SignedBy { get; init; }
    [JsonPropertyName("installed_at")] public required DateTimeOffset InstalledAt { get; init; }
    [JsonPropertyName("verified_read_back")] public bool VerifiedReadBack { get; init; }
}
