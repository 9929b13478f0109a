// SPDX-License-Identifier: Apache-2.0
using Updater.Fleet;
using Updater.Tests.Support;

namespace Updater.Tests.Fleet;

public sealed class RolloutPolicyTests
{
    private static readonly RolloutWave[] Waves =
    [
        new(1, TestChannels.T0),
        new(10, TestChannels.T0.AddDays(1)),
        new(50, TestChannels.T0.AddDays(2)),
    ];

    /// <summary>A machine id whose bucket for 2.1.0 lies in [low, high).</summary>
    private static string IdInBucket(double low, double high)
    {
        for (int i = 0; ; i++)
        {
            string id = $"device-{i}";
            double b = RolloutBucket.Of(id, "2.1.0");
            if (b >= low && b < high)
            {
                return id;
            }
        }
    }

    private static RolloutDecision Decide(string id, DateTimeOffset now, ChannelDocument? channel = null, string? group = null, string? booted = "2.0.0", string? other = null, bool abandoned = false, bool staged = false) =>
        RolloutPolicy.Decide(channel ?? TestChannels.Document(waves: Waves), new DeviceFacts(id, group, booted, "B", other, abandoned, staged), now);

    [Fact]
    public void Explains_a_bucket_that_is_not_yet_below_the_wave_and_when_it_widens()
    {
        string id = IdInBucket(37, 38);
        var d = Decide(id, TestChannels.T0.AddDays(1).AddHours(1));

        Assert.Equal(RolloutVerdict.Waiting, d.Verdict);
        Assert.Equal("bucket 37." + d.Reason.Split("bucket 37.")[1][0] + " is not below the 10 % of wave 2, which widens to 50 % at 2026-12-03T00:00Z", d.Reason);
        Assert.Equal(2, d.Wave);
    }

    [Fact]
    public void Installs_once_the_wave_covers_the_bucket()
    {
        string id = IdInBucket(37, 38);
        var d = Decide(id, TestChannels.T0.AddDays(2));
        Assert.Equal(RolloutVerdict.Install, d.Verdict);
        Assert.StartsWith("bucket 37.", d.Reason, StringComparison.Ordinal);
        Assert.Contains("is below the 50 % of wave 3: installing 2.1.0", d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_last_wave_says_so()
    {
        string id = IdInBucket(80, 90);
        Assert.EndsWith("is not below the 50 % of wave 3, the last wave", Decide(id, TestChannels.T0.AddDays(5)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Before_the_first_wave_nothing_installs()
    {
        var d = Decide(IdInBucket(0, 0.5), TestChannels.T0.AddMinutes(-1));
        Assert.Equal(RolloutVerdict.NotStarted, d.Verdict);
        Assert.Equal("the rollout of 2.1.0 starts at 2026-12-01T00:00Z with 1 % (wave 1)", d.Reason);
    }

    [Fact]
    public void Halted_already_installed_and_group_are_said_plainly()
    {
        string id = IdInBucket(0, 0.5);
        var late = TestChannels.T0.AddDays(3);
        Assert.Equal("halted: the rollout of 2.1.0 on channel 'stable' is stopped", Decide(id, late, TestChannels.Document(waves: Waves, halted: true)).Reason);
        Assert.Equal("already on 2.1.0", Decide(id, late, booted: "2.1.0").Reason);
        Assert.Equal("2.1.0 is installed in slot B; reboot to activate", Decide(id, late, other: "2.1.0", staged: true).Reason);
        Assert.Equal(RolloutVerdict.RolledBack, Decide(id, late, other: "2.1.0", abandoned: true).Verdict);
        var canary = TestChannels.Document(waves: Waves, groups: ["canary"]);
        Assert.Equal("not in group canary (this device is in lab)", Decide(id, late, canary, group: "lab").Reason);
        Assert.Equal("not in group canary (this device has no [channel] group)", Decide(id, late, canary).Reason);
        Assert.True(Decide(id, late, canary, group: "canary").ShouldInstall);
    }

    [Fact]
    public void A_bucket_is_the_same_every_time_and_differs_per_release()
    {
        Assert.Equal(RolloutBucket.Of("abc", "2.1.0"), RolloutBucket.Of("abc", "2.1.0"));
        Assert.NotEqual(RolloutBucket.Of("abc", "2.1.0"), RolloutBucket.Of("abc", "2.2.0"));
        Assert.NotEqual(RolloutBucket.Of("abc", "2.1.0"), RolloutBucket.Of("abd", "2.1.0"));
    }

    [Fact]
    public void A_halt_outranks_reboot_to_activate_and_only_records_say_rolled_back()
    {
        string id = IdInBucket(0, 0.5);
        var late = TestChannels.T0.AddDays(3);
        var halted = Decide(id, late, TestChannels.Document(waves: Waves, halted: true), other: "2.1.0", staged: true);
        Assert.Equal(RolloutVerdict.Halted, halted.Verdict);
        Assert.Equal("halted: the rollout of 2.1.0 on channel 'stable' is stopped; the staged slot B is cancelled", halted.Reason);
        // Held but neither staged nor abandoned (a commit point that failed, a slot marked bad by hand): the rollout decides again.
        Assert.Equal(RolloutVerdict.Install, Decide(id, late, other: "2.1.0").Verdict);
    }
}
