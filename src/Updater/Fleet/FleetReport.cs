// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;
using Updater.State;

namespace Updater.Fleet;

/// <summary>
/// The small JSON document POSTed to [channel] report-url (docs/channel-format.md, "Status reports").
/// It never carries secrets: no keys, no URLs with credentials.
/// </summary>
internal sealed record FleetReport
{
    [JsonPropertyName("event")] public required FleetEvent Event { get; init; }
    [JsonPropertyName("time")] public required DateTimeOffset Time { get; init; }
    [JsonPropertyName("machine_id")] public required string MachineId { get; init; }
    [JsonPropertyName("compatible")] public required string Compatible { get; init; }
    [JsonPropertyName("group")] public string? Group { get; init; }

    /// <summary>The version the device runs now.</summary>
    [JsonPropertyName("current_version")] public string? CurrentVersion { get; init; }

    /// <summary>The release being installed, or the one that failed.</summary>
    [JsonPropertyName("target_version")] public string? TargetVersion { get; init; }
    [JsonPropertyName("channel")] public string? Channel { get; init; }
    [JsonPropertyName("channel_version")] public long? ChannelVersion { get; init; }

    /// <summary>For health events: pass or fail; for a rollback, why.</summary>
    [JsonPropertyName("health_verdict")] public string? HealthVerdict { get; init; }
    [JsonPropertyName("rollback_reason")] public RollbackReason? RollbackReason { get; init; }

    /// <summary>The error of a failed install, or a note.</summary>
    [JsonPropertyName("message")] public string? Message { get; init; }
}
