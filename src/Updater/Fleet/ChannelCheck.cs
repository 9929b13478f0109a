namespace Updater.Fleet;

/// <summary>The outcome of one look at the channel: the channel as accepted and what the rollout says.</summary>
internal sealed record ChannelCheck(VerifiedChannel Channel, RolloutDecision Decision, bool NotModified, string BundleLocation)
{
    public CheckReport ToReport(string? group) => new()
    {
        Channel = Channel.Document.Channel,
        ChannelVersion = Channel.Document.Version,
        ChannelExpires = Channel.Document.Expires,
        ChannelSource = Channel.Source,
        SignedBy = Channel.SignedBy,
        NotModified = NotModified,
        ReleaseVersion = Decision.ReleaseVersion,
        Bundle = Transport.SafeUrl.Redact(BundleLocation),
        Install = Decision.ShouldInstall,
        Verdict = Decision.Verdict,
        Reason = Decision.Reason,
        Bucket = Decision.Bucket is { } b ? Math.Floor(b * 1000) / 1000 : null,
        Wave = Decision.Wave,
        Percent = Decision.Percent,
        NextWaveStart = Decision.NextWaveStart,
        NextWavePercent = Decision.NextWavePercent,
        Group = group,
    };
}

/// <summary>`updater check --json`.</summary>
internal sealed record CheckReport
{
    public required string Channel { get; init; }
    public required long ChannelVersion { get; init; }
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
}
