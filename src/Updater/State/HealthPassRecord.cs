// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.State;

/// <summary>
/// Written by `updater health --defer-commit` when a trial boot passes its checks: the commit waits for
/// boot-complete.target, and `updater commit` commits only a pass of this very boot (<see cref="BootId"/>), so a
/// pass left over from an earlier boot of the same slot never commits a boot that was not checked.
/// </summary>
internal sealed record HealthPassRecord
{
    [JsonPropertyName("bootname")] public required string Bootname { get; init; }

    /// <summary>The kernel's boot id (/proc/sys/kernel/random/boot_id) of the boot that passed.</summary>
    [JsonPropertyName("boot_id")] public required string BootId { get; init; }

    [JsonPropertyName("version")] public string? Version { get; init; }
    [JsonPropertyName("manifest_sha256")] public string? ManifestSha256 { get; init; }
    [JsonPropertyName("passed_at")] public required DateTimeOffset PassedAt { get; init; }
}
