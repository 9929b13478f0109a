// SPDX-License-Identifier: Apache-2.0
using Updater.Fleet;

namespace Updater.Cli;

/// <summary>`updater check --json`.</summary>
internal sealed record CheckReport
{
    public static CheckReport From(ChannelCheck check, string? group) => new()
    {
        Channel = check.Channel.Document.Channel,
        ChannelVersion = check.Channel.Document.Version,
        ChannelIssued = check.Channel.Document.Issued,
        ChannelExpires = check.Channel.Document.Expires,
        ChannelSource = check.Channel.Source,
        SignedBy = check.Channel.SignedBy,
        NotModified = check.NotModified,
        ReleaseVersion = check.Decision.ReleaseVersion,
        Bundle = Transport.SafeUrl.Redact(check.BundleLocation),
        Install = check.Decision.ShouldInstall,
        Verdict = check.Decision.Verdict,
        Reason = check.Decision.Reason,
        Bucket = check.Decision.Bucket is { } b ? Math.Floor(b * 1000) / 1000 : null,
        Wave = check.Decision.Wave,
        Percent = check.Decision.Percent,
        NextWaveStart = check.Decision.NextWaveStart,
        NextWavePercent = check.Decision.NextWavePercent,
        Group = group,
        Now = check.Clock.Now,
        ClockCorrection = check.Clock.Correction,
    };

    public required string Channel { get; init; }
    public required long ChannelVersion { get; init; }
    public required DateTimeOffset ChannelIssued { get; init; }
    public required DateTimeOffset ChannelExpires { get; init; }
    public required string ChannelSource { get; init; }
    public required string SignedBy { get; init; }
    public required bool NotModified { get; init; }
    public required string ReleaseVersion { get; init; }
    public required string Bundle { get; init; }
    public required bool Install { get; init; }
    public required RolloutVerdict Verdict { get; init; }
    public required string Reason { get; init; }
    public double? Bucket { get; init; }
    public int? Wave { get; init; }
    public double? Percent { get; init; }
    public DateTimeOffset? NextWaveStart { get; init; }
    public double? NextWavePercent { get; init; }
    public string? Group { get; init; }

    /// <summary>The time the rollout was judged by (Clock.TrustedClock).</summary>
    public required DateTimeOffset Now { get; init; }

    /// <summary>When <see cref="Now"/> is not the device clock: which signed time was used instead, and why.</summary>
    public string? ClockCorrection { get; init; }
}
