// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Fleet;

/// <summary>
/// What a channel says (docs/channel-format.md): the current release of one channel and how it rolls out.
/// The signature covers this document's exact bytes, so it is never re-serialized to be verified.
/// </summary>
internal sealed record ChannelDocument
{
    [JsonPropertyName("format")] public required int Format { get; init; }

    /// <summary>
    /// The channel's name ("stable", "beta"): must equal the device's [channel] name, so one channel's file served
    /// in another's place is refused; the device keeps its floors per name (<see cref="ChannelRules.IsName"/>).
    /// </summary>
    [JsonPropertyName("channel")] public required string Channel { get; init; }

    /// <summary>Monotonic: every published change raises it; devices refuse a lower one (rollback attack).</summary>
    [JsonPropertyName("version")] public required long Version { get; init; }

    /// <summary>
    /// When the vendor signed this version: before <see cref="Expires"/>. A device that accepts the file never lets its
    /// "now" fall behind it again (Clock.TrustedClock), so a file that expired before it cannot be replayed later.
    /// </summary>
    [JsonPropertyName("issued")] public required DateTimeOffset Issued { get; init; }

    /// <summary>Devices refuse the file from this time on (freeze attack): the vendor republishes before it.</summary>
    [JsonPropertyName("expires")] public required DateTimeOffset Expires { get; init; }

    [JsonPropertyName("compatible")] public required string Compatible { get; init; }

    [JsonPropertyName("release")] public required ChannelRelease Release { get; init; }

    [JsonPropertyName("rollout")] public required ChannelRollout Rollout { get; init; }
}

/// <summary>The release a channel offers: its version and where its bundle is.</summary>
internal sealed record ChannelRelease
{
    [JsonPropertyName("version")] public required string Version { get; init; }

    /// <summary>Absolute http(s) URL, or relative to the channel file's URL.</summary>
    [JsonPropertyName("bundle_url")] public required string BundleUrl { get; init; }

    [JsonPropertyName("bundle_size")] public required long BundleSize { get; init; }

    /// <summary>Pin of the exact bundle: SHA-256 of its signed manifest (`updater bundle info --json`), always checked.</summary>
    [JsonPropertyName("manifest_sha256")] public required string ManifestSha256 { get; init; }
}

/// <summary>Who gets the release when: waves over time, an optional group filter, a halt switch.</summary>
internal sealed record ChannelRollout
{
    /// <summary>Stops the rollout: no device starts installing the release while it is set.</summary>
    [JsonPropertyName("halted")] public bool Halted { get; init; }

    /// <summary>When not empty, only devices whose [channel] group is listed take the release.</summary>
    [JsonPropertyName("groups")] public IReadOnlyList<string>? Groups { get; init; }

    [JsonPropertyName("waves")] public required IReadOnlyList<RolloutWave> Waves { get; init; }
}

/// <summary>From <see cref="Start"/> on, devices whose bucket is below <see cref="Percent"/> take the release.</summary>
internal sealed record RolloutWave(
    [property: JsonPropertyName("percent")] double Percent,
    [property: JsonPropertyName("start")] DateTimeOffset Start);

// Duplicate keys are refused, not last-wins: the signed bytes must mean one thing to every reader. Channel
// documents nest a few levels (rollout, waves); the depth bound leaves room and no more.
[JsonSerializable(typeof(ChannelDocument))]
[JsonSerializable(typeof(ChannelState))]
[JsonSourceGenerationOptions(WriteIndented = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, AllowDuplicateProperties = false, MaxDepth = 16)]
internal sealed partial class ChannelJsonContext : JsonSerializerContext;
