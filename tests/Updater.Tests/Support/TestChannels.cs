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
        IReadOnlyList<RolloutWave>? waves = null, bool halted = false, IReadOnlyList<string>? groups = null, DateTimeOffset? expires = null, string? manifestSha = null) => new()
    {
        Format = 1,
        Channel = "stable",
        Version = version,
        Expires = expires ?? T0.AddDays(30),
        Compatible = TestDevice.Compatible,
        Release = new ChannelRelease { Version = release, BundleUrl = bundleUrl, BundleSize = bundleSize, ManifestSha256 = manifestSha },
        Rollout = new ChannelRollout { Halted = halted, Groups = groups, Waves = waves ?? [new RolloutWave(100, T0.AddDays(-1))] },
    };

    public static byte[] Sign(ChannelDocument document, SigningKey key) =>
        VerifiedChannel.Sign(JsonSerializer.SerializeToUtf8Bytes(document, ChannelJsonContext.Default.ChannelDocument), [key], "test");
}
