// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;
using Partition.Bootloaders.Grub;

namespace Partition.Tests.Bootloaders;

/// <summary>
/// What dist/grub.cfg picks and leaves behind, without booting: <see cref="GrubBootRule"/> decides on the real
/// grubenv, and grub-editenv (GRUB's own envblk code) writes back what save_env would. Real boots under QEMU are
/// the e2e suite's job.
/// </summary>
public sealed class GrubBootLogicTests : IDisposable
{
    /// <summary>The backend's reading of a set of variables; StateOf touches no file, so the path is never opened.</summary>
    private static readonly GrubBootloader Rule = new(new GrubOptions("/nonexistent/grubenv"));

    private readonly TempDirectory _dir = new();
    private readonly string _file;

    public GrubBootLogicTests()
    {
        _file = _dir.Path("grubenv");
    }

    public void Dispose() => _dir.Dispose();

    private GrubBootloader Fresh(int tries = 1)
    {
        GrubEnvFile.Create(_file);
        return new GrubBootloader(new GrubOptions(_file, tries));
    }

    /// <summary>One power-on: the script's choice, with its save_env done by grub-editenv.</summary>
    private async Task<GrubBootDecision> Boot()
    {
        var variables = GrubEnvBlock.Parse(await File.ReadAllBytesAsync(_file), _file).Variables;
        var decision = GrubBootRule.Decide(variables);
        if (decision.Saved.Count > 0)
        {
            new GrubEnvFile(_file).Set([.. decision.Saved.Select(v => $"{v.Key}={v.Value}")]);
        }

        return decision;
    }

    [Fact]
    public async Task Fresh_install_boots_A_committed_and_writes_nothing()
    {
        var grub = Fresh();
        byte[] before = await File.ReadAllBytesAsync(_file);

        var state = await grub.ReadStateAsync(CancellationToken.None);
        var boot = await Boot();

        Assert.Equal("A", boot.Slot);
        Assert.Empty(boot.Saved);
        Assert.Equal(before, await File.ReadAllBytesAsync(_file));
        Assert.Equal("A", state.NextBoot);
        Assert.Equal(new SlotBootState("A", true, SlotBootState.Uncounted, false), state.Slot("A"));
        Assert.Equal(new SlotBootState("B", false, 0, false), state.Slot("B"));
    }

    [Fact]
    public async Task Trial_boot_counts_one_try_then_falls_back_when_never_marked_good()
    {
        var grub = Fresh();
        await grub.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        var pending = await grub.ReadStateAsync(CancellationToken.None);
        Assert.Equal(["B", "A"], pending.Order);
        Assert.Equal(new SlotBootState("B", true, 1, true), pending.Slot("B"));
        Assert.Equal("B", pending.NextBoot);

        var first = await Boot();
        Assert.Equal("B", first.Slot);
        Assert.Equal(1, first.CountedTry);
        Assert.Equal("1", (await grub.ReadStateAsync(CancellationToken.None)).Variables["B_TRY"]);

        // B never reached its health verdict: the next power-on is A's, and nothing more is written.
        byte[] afterTry = await File.ReadAllBytesAsync(_file);
        var second = await Boot();
        Assert.Equal("A", second.Slot);
        Assert.Equal(afterTry, await File.ReadAllBytesAsync(_file));

        // Back on A the agent can see that B's trial was given up on.
        var rolledBack = await grub.ReadStateAsync(CancellationToken.None);
        Assert.Equal(new SlotBootState("B", true, 0, true), rolledBack.Slot("B"));
        Assert.Equal("A", rolledBack.NextBoot);
    }

    [Fact]
    public async Task Trial_marked_good_becomes_committed_and_its_boots_are_no_longer_counted()
    {
        var grub = Fresh();
        await grub.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Assert.Equal("B", (await Boot()).Slot);
        await grub.MarkGoodAsync("B", CancellationToken.None);

        for (int i = 0; i < 3; i++)
        {
            var boot = await Boot();
            Assert.Equal("B", boot.Slot);
            Assert.Empty(boot.Saved);
        }

        Assert.Equal(new SlotBootState("B", true, SlotBootState.Uncounted, false), (await grub.ReadStateAsync(CancellationToken.None)).Slot("B"));
    }

    [Fact]
    public async Task Failed_trial_marked_bad_boots_the_other_slot()
    {
        var grub = Fresh();
        await grub.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Assert.Equal("B", (await Boot()).Slot);
        await grub.MarkBadAsync("B", CancellationToken.None);

        Assert.Equal("A", (await Boot()).Slot);
        Assert.Equal(new SlotBootState("B", false, 0, false), (await grub.ReadStateAsync(CancellationToken.None)).Slot("B"));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(9)]
    public async Task Exhausted_tries_fall_back_after_exactly_the_configured_number_of_boots(int tries)
    {
        var grub = Fresh(tries);
        await grub.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);

        for (int i = 1; i <= tries; i++)
        {
            Assert.Equal(tries - i + 1, (await grub.ReadStateAsync(CancellationToken.None)).Slot("B")!.TriesLeft);
            var boot = await Boot();
            Assert.Equal("B", boot.Slot);
            Assert.Equal(i, boot.CountedTry);
        }

        Assert.Equal("A", (await Boot()).Slot);
    }

    [Fact]
    public async Task Both_slots_bad_boots_nothing_writes_nothing_and_the_state_says_so()
    {
        var grub = Fresh();
        await grub.MarkBadAsync("A", CancellationToken.None);
        await grub.MarkBadAsync("B", CancellationToken.None);
        byte[] before = await File.ReadAllBytesAsync(_file);

        var boot = await Boot();

        Assert.Null(boot.Slot);
        Assert.Empty(boot.Saved);
        Assert.Equal(before, await File.ReadAllBytesAsync(_file));
        Assert.Null((await grub.ReadStateAsync(CancellationToken.None)).NextBoot);
    }

    [Fact]
    public async Task Permanent_activation_is_a_committed_rollback_target()
    {
        var grub = Fresh();
        await grub.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        await Boot();
        await grub.MarkGoodAsync("B", CancellationToken.None);

        await grub.ActivateAsync("A", BootActivation.Permanent, CancellationToken.None);

        var state = await grub.ReadStateAsync(CancellationToken.None);
        Assert.Equal(["A", "B"], state.Order);
        Assert.Equal(new SlotBootState("A", true, SlotBootState.Uncounted, false), state.Slot("A"));
        var boot = await Boot();
        Assert.Equal("A", boot.Slot);
        Assert.Empty(boot.Saved);
    }

    /// <summary>
    /// The state we report predicts the script: for any environment, NextBoot is the slot grub.cfg boots, and a
    /// counted trial boot lowers that slot's tries left by one.
    /// </summary>
    [Fact]
    public void Reported_state_predicts_the_script_for_any_environment()
    {
        var random = new Random(20261128);
        string[] orders = ["A B", "B A", "B", "A", "C A B", "", "A  B", "B\tA", "A A"];
        string[] flags = ["0", "1", "2", "", "x", " 1"];
        string[] digits = ["0", "1", "2", "3", "8", "9", "10", "-1", "", "a", "01"];
        int picked = 0, none = 0;
        for (int i = 0; i < 20000; i++)
        {
            var env = new Dictionary<string, string>();
            void Maybe(string name, string[] values)
            {
                if (random.Next(6) != 0)
                {
                    env[name] = values[random.Next(values.Length)];
                }
            }

            Maybe("ORDER", orders);
            foreach (var slot in new[] { "A", "B" })
            {
                Maybe(slot + "_OK", flags);
                Maybe(slot + "_TRY", digits);
                Maybe(slot + "_TRIAL", digits);
            }

            var decision = GrubBootRule.Decide(env);
            var state = Rule.StateOf(env);
            Assert.Equal(decision.Slot, state.NextBoot);
            if (decision.Slot is { } slot2)
            {
                picked++;
                var before = state.Slot(slot2)!;
                var after = new Dictionary<string, string>(env);
                foreach (var (name, value) in decision.Saved)
                {
                    after[name] = value;
                }

                var afterSlot = Rule.StateOf(after).Slot(slot2)!;
                Assert.Equal(before.Trial ? before.TriesLeft - 1 : SlotBootState.Uncounted, afterSlot.TriesLeft);
            }
            else
            {
                none++;
            }
        }

        Assert.True(picked > 1000 && none > 1000, $"the generator must reach both outcomes ({picked} picked, {none} none)");
    }
}
