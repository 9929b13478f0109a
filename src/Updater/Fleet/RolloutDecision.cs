// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Fleet;

/// <summary>Why the device would, or would not, install the channel's release now.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RolloutVerdict>))]
internal enum RolloutVerdict
{
    [JsonStringEnumMemberName("install")] Install,
    [JsonStringEnumMemberName("already-installed")] AlreadyInstalled,
    [JsonStringEnumMemberName("awaiting-reboot")] AwaitingReboot,
    [JsonStringEnumMemberName("rolled-back")] RolledBack,
    [JsonStringEnumMemberName("halted")] Halted,
    [JsonStringEnumMemberName("not-in-group")] NotInGroup,
    [JsonStringEnumMemberName("not-started")] NotStarted,
    [JsonStringEnumMemberName("waiting")] Waiting,
}

/// <summary>The verdict with the numbers behind it and a sentence an operator reads.</summary>
internal sealed record RolloutDecision
{
    public required RolloutVerdict Verdict { get; init; }
    public required string Reason { get; init; }
    public required string ReleaseVersion { get; init; }
    public double? Bucket { get; init; }

    /// <summary>1-based number of the wave in force, if any.</summary>
    public int? Wave { get; init; }
    public double? Percent { get; init; }
    public DateTimeOffset? NextWaveStart { get; init; }
    public double? NextWavePercent { get; init; }

    public bool ShouldInstall => Verdict == RolloutVerdict.Install;
}
