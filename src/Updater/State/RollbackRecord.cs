// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.State;

/// <summary>
/// A rollback the agent found after boot: the device runs <see cref="ToSlot"/> although <see cref="FromSlot"/>
/// was the one being tried. Kept in the state directory (rollback.json) until the next install starts, so
/// `updater status` and the fleet report can say what happened and why.
/// </summary>
internal sealed record RollbackRecord
{
    [JsonPropertyName("from_slot")] public required string FromSlot { get; init; }
    [JsonPropertyName("to_slot")] public required string ToSlot { get; init; }

    /// <summary>The release the abandoned slot held, from its SlotRecord; null if the updater did not install it.</summary>
    [JsonPropertyName("version")] public string? Version { get; init; }

    /// <summary>With <see cref="InstalledAt"/>, which install was abandoned: the same rollback is never recorded twice.</summary>
    [JsonPropertyName("manifest_sha256")] public string? ManifestSha256 { get; init; }
    [JsonPropertyName("installed_at")] public DateTimeOffset? InstalledAt { get; init; }

    [JsonPropertyName("reason")] public required RollbackReason Reason { get; init; }

    /// <summary>The reason in words, for people.</summary>
    [JsonPropertyName("explanation")] public required string Explanation { get; init; }

    /// <summary>The required checks that failed, when the reason is <see cref="RollbackReason.HealthFailed"/>.</summary>
    [JsonPropertyName("failed_checks")] public IReadOnlyList<FailedCheck> FailedChecks { get; init; } = [];
    [JsonPropertyName("failed_at")] public DateTimeOffset? FailedAt { get; init; }
    [JsonPropertyName("detected_at")] public required DateTimeOffset DetectedAt { get; init; }

    /// <summary>Whether this record and <paramref name="other"/> are about the same abandoned install.</summary>
    public bool SameInstallAs(RollbackRecord other) =>
        FromSlot == other.FromSlot && ManifestSha256 == other.ManifestSha256 && InstalledAt == other.InstalledAt;
}
