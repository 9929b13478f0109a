// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Updater.Crypto;
using Updater.Fleet;

namespace Updater.Tests.Support;

/// <summary>Channel documents and signed channel files for tests.</summary>
internal static class TestChannels
{
    public static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    public static ChannelDocument Document(long version = 1, string release = "2.1.0", string bundleUrl = "bundle", long bundleSize = 1000,
        IReadOnlyList<RolloutWave>? waves = null, bool halted = false, IReadOnlyList<string>? groups = null, DateTimeOffset? expires = null, string? manifestSha = null,
        DateTimeOffset? issued = null, string channel = "stable") => new()
    {
        Format = ChannelRules.Format,
        Channel = channel,
        Version = version,
        Issued = issued ?? T0.AddDays(-1),
        Expires = expires ?? T0.AddDays(30),
        Compatible = TestDevice.Compatible,
        Release = new ChannelRelease { Version = release, BundleUrl = bundleUrl, BundleSize = bundleSize, ManifestSha256 = manifestSha ?? NoBundle },
        Rollout = new ChannelRollout { Halted = halted, Groups = groups, Waves = waves ?? [new RolloutWave(100, T0.AddDays(-1))] },
    };

    /// <summary>The manifest pin of a channel whose bundle a test never installs.</summary>
    public static readonly string NoBundle = new('0', 64);

    /// <summary>The pin a channel must carry for the bundle at <paramref name="path"/>: SHA-256 of its signed manifest.</summary>
    public static async Task<string> ManifestShaAsync(string path)
    {
        await using var source = Updater.Transport.FileBundleSource.Open(path);
        var (_, manifest, _) = await Updater.Bundles.UnverifiedBundleReader.ReadSignedPartAsync(source, CancellationToken.None);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(manifest));
    }

    public static byte[] Sign(ChannelDocument document, SigningKey key) =>
        VerifiedChannel.Sign(JsonSerializer.SerializeToUtf8Bytes(document, ChannelJsonContext.Default.ChannelDocument), [key], "test");
}
