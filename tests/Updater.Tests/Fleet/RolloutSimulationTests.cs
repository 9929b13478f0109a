// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using Updater.Fleet;
using Updater.Tests.Support;
using Xunit.Abstractions;

namespace Updater.Tests.Fleet;

/// <summary>A fleet of 1,000,000 generated machine ids through the rollout policy.</summary>
public sealed class RolloutSimulationTests
{
    private const int Fleet = 1_000_000;
    private static readonly Lazy<string[]> Ids = new(() =>
    {
        var random = new Random(20261201);
        var ids = new string[Fleet];
        Span<byte> bytes = stackalloc byte[16];
        for (int i = 0; i < Fleet; i++)
        {
            random.NextBytes(bytes);
            ids[i] = Convert.ToHexStringLower(bytes);
        }
        return ids;
    });

    private readonly ITestOutputHelper _output;

    public RolloutSimulationTests(ITestOutputHelper output)
    {
        _output = output;
    }

    private static readonly RolloutWave[] Waves =
    [
        new(1, TestChannels.T0),
        new(10, TestChannels.T0.AddDays(1)),
        new(50, TestChannels.T0.AddDays(2)),
        new(100, TestChannels.T0.AddDays(3)),
    ];

    private static double Share(ChannelDocument channel, DateTimeOffset now) =>
        100.0 * Ids.Value.AsParallel().Count(id => RolloutPolicy.Decide(channel, new DeviceFacts(id, null, "2.0.0", "B", null, false, false), now).ShouldInstall) / Fleet;

    [Fact]
    public void Each_wave_reaches_its_share_of_the_fleet_within_three_tenths_of_a_point()
    {
        var channel = TestChannels.Document(waves: Waves);
        Assert.Equal(0, Share(channel, TestChannels.T0.AddHours(-1)));
        for (int i = 0; i < Waves.Length; i++)
        {
            double share = Share(channel, Waves[i].Start.AddHours(1));
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wave {i + 1}: target {Waves[i].Percent} %, measured {share:0.000} %"));
            Assert.InRange(share, Waves[i].Percent - 0.3, Waves[i].Percent + 0.3);
        }
    }

    [Fact]
    public void Buckets_of_two_releases_are_independent()
    {
        var ids = Ids.Value;
        var first = ids.AsParallel().AsOrdered().Select(id => RolloutBucket.Of(id, "2.1.0")).ToArray();
        var second = ids.AsParallel().AsOrdered().Select(id => RolloutBucket.Of(id, "2.2.0")).ToArray();
        // Of the first 10 % for 2.1.0, a release later again about 10 % are first: not the same devices every time.
        var early = Enumerable.Range(0, Fleet).Where(i => first[i] < 10).ToList();
        double again = 100.0 * early.Count(i => second[i] < 10) / early.Count;
        double meanA = first.Average(), meanB = second.Average();
        double cov = 0, varA = 0, varB = 0;
        for (int i = 0; i < Fleet; i++)
        {
            cov += (first[i] - meanA) * (second[i] - meanB);
            varA += (first[i] - meanA) * (first[i] - meanA);
            varB += (second[i] - meanB) * (second[i] - meanB);
        }
        double correlation = cov / Math.Sqrt(varA * varB);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first 10 % of 2.1.0 that are in the first 10 % of 2.2.0: {again:0.000} %; correlation {correlation:0.00000}"));
        Assert.InRange(again, 9.7, 10.3);
        Assert.InRange(correlation, -0.005, 0.005);
        Assert.All(first, b => Assert.InRange(b, 0, 99.99999999));
    }

    [Fact]
    public void A_halted_rollout_starts_no_install_anywhere_in_the_fleet()
    {
        var channel = TestChannels.Document(waves: Waves, halted: true);
        Assert.Equal(0, Share(channel, Waves[^1].Start.AddDays(1)));
        Assert.Equal(100, Share(channel with { Rollout = channel.Rollout with { Halted = false } }, Waves[^1].Start.AddDays(1)));
    }
}
