// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.State;

/// <summary>An install in progress: which release, onto which side. Its presence means the target holds a partial image.</summary>
internal sealed record InstallJournal
{
    [JsonPropertyName("manifest_sha256")] public required string ManifestSha256 { get; init; }
    [JsonPropertyName("version")] public required string Version { get; init; }
    [JsonPropertyName("target_bootname")] public required string TargetBootname { get; init; }
    [JsonPropertyName("source")] public required string Source { get; init; }
    [JsonPropertyName("started_at")] public required DateTimeOffset StartedAt { get; init; }

    /// <summary>A post-install hook failed after every image was written: the slot is complete but not activated.</summary>
    [JsonPropertyName("failed_hook")] public FailedHook? FailedHook { get; init; }
}
