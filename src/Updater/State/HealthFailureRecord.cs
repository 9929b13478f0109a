// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.State;

/// <summary>
/// Written by `updater health` before it marks a slot bad and reboots: which slot failed, holding what, and
/// which checks failed. The next boot, on the other slot, reads it to say why the rollback happened; nothing
/// else survives the reboot to tell.
/// </summary>
internal sealed record HealthFailureRecord
{
    [JsonPropertyName("bootname")] public required string Bootname { get; init; }

    /// <summary>The release the slot held (its SlotRecord), null for a slot the updater did not install.</summary>
    [JsonPropertyName("version")] public string? Version { get; init; }

    /// <summary>With <see cref="InstalledAt"/>, which install of the slot this verdict was about.</summary>
    [JsonPropertyName("manifest_sha256")] public string? ManifestSha256 { get; init; }
    [JsonPropertyName("installed_at")] public DateTimeOffset? InstalledAt { get; init; }

    /// <summary>True on a trial boot; false when a committed slot was rolled back by on-committed-failure = rollback.</summary>
    [JsonPropertyName("trial")] public required bool Trial { get; init; }
    [JsonPropertyName("failed_at")] public required DateTimeOffset FailedAt { get; init; }
    [JsonPropertyName("failed_checks")] public required IReadOnlyList<FailedCheck> FailedChecks { get; init; }
}
