// SPDX-License-Identifier: Apache-2.0
using Updater.Bundles;

namespace Updater.Fleet;

/// <summary>Everything a channel document must satisfy beyond its JSON shape; each violation names the field.</summary>
internal static class ChannelRules
{
    /// <summary>2: <c>issued</c> and <c>release.manifest_sha256</c> required, <c>channel</c> a name as <see cref="IsName"/> says.</summary>
    public const int Format = 2;
    public const int MaxWaves = 64;
    public const int MaxNameLength = 64;

    /// <summary>What <see cref="IsName"/> accepts, for messages (the document's <c>channel</c> and [channel] name alike).</summary>
    public const string NameRule = "a name of 1..64 ASCII letters, digits, '-', '_' or '.', not starting with '.'";

    /// <summary>
    /// A channel name: the document's <c>channel</c> and update.conf's [channel] name. The device keeps its floors in a
    /// directory of this name (State.StateDirectory.ChannelDirectoryOf), so it can never be a path or "." / "..".
    /// </summary>
    public static bool IsName(string? s) =>
        s is { Length: > 0 and <= MaxNameLength } && s[0] != '.' && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Why a document of another format is refused, and what the vendor does about it.</summary>
    public static string FormatProblem(long format) => format < Format
        ? $"is {format}, this updater reads format {Format} only: format {Format} requires \"issued\" and \"release.manifest_sha256\"; re-create the file with `updater channel create` (or add both, set \"format\": {Format} and run `updater channel sign`)"
        : $"is {format}, this updater reads format {Format} only: update the updater before publishing format {format}";

    public static void Check(ChannelDocument d, string name)
    {
        Require(d.Format == Format, name, "format", FormatProblem(d.Format));
        Require(IsName(d.Channel), name, "channel", $"must be {NameRule}");
        Require(d.Version > 0, name, "version", "must be a positive number");
        Require(d.Issued < d.Expires, name, "issued", $"is {UtcMinute.Format(d.Issued)}, it must be earlier than 'expires' ({UtcMinute.Format(d.Expires)})");
        Require(!string.IsNullOrEmpty(d.Compatible), name, "compatible", "must not be empty");
        Require(d.Release is not null, name, "release", "is missing");
        Require(ReleaseVersion.TryParse(d.Release!.Version, out _), name, "release.version", $"'{d.Release.Version}' is not a release version such as 2.1.0");
        Require(!string.IsNullOrEmpty(d.Release.BundleUrl) && d.Release.BundleUrl.Length <= 2048, name, "release.bundle_url", "must be a URL of at most 2048 characters");
        Require(d.Release.BundleSize > 0, name, "release.bundle_size", "must be positive");
        Require(d.Release.ManifestSha256 is { Length: 64 } pin && pin.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'),
            name, "release.manifest_sha256", "must be 64 lowercase hex digits: the SHA-256 of the bundle's signed manifest (`updater bundle info --json`)");
        Require(d.Rollout is not null, name, "rollout", "is missing");
        var waves = d.Rollout!.Waves;
        Require(waves is { Count: > 0 and <= MaxWaves }, name, "rollout.waves", $"must list 1..{MaxWaves} waves");
        for (int i = 0; i < waves!.Count; i++)
        {
            Require(waves[i] is not null, name, $"rollout.waves[{i}]", "is null");
            Require(waves[i].Percent is > 0 and <= 100, name, $"rollout.waves[{i}].percent", $"is {waves[i].Percent}, expected more than 0 and at most 100");
            if (i > 0)
            {
                Require(waves[i].Start > waves[i - 1].Start, name, $"rollout.waves[{i}].start", "must be later than the wave before it");
                Require(waves[i].Percent >= waves[i - 1].Percent, name, $"rollout.waves[{i}].percent", "must not be smaller than the wave before it (a wave never takes a release back)");
            }
        }
        Require(d.Rollout.Groups is null || d.Rollout.Groups.All(g => !string.IsNullOrWhiteSpace(g)), name, "rollout.groups", "must not contain empty names");
    }

    private static void Require(bool ok, string name, string field, string problem)
    {
        if (!ok)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{name}: channel field '{field}' {problem}");
        }
    }
}
