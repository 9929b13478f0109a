// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;
using Partition.Bootloaders.UBoot;
using Partition.Tests.Support;

namespace Partition.Tests.Bootloaders;

/// <summary>
/// What dist/boot.cmd picks and leaves behind, without booting: <see cref="UBootBootRule"/> decides on the real
/// environment, and fw_setenv writes back what saveenv would.
/// </summary>
public sealed class UBootBootLogicTests : IDisposable
{
    /// <summary>The backend's reading of a set of variables; StateOf touches no file, so the path is never opened.</summary>
    private static readonly UBootBootloader Rule = new(new UBootOptions("/nonexistent/uboot.env", 0, 0x2000, null));

    private readonly TempDirectory _dir = new();
    private UBootOptions _options = null!;
    private string _config = null!;

    public void Dispose() => _dir.Dispose();

    private UBootBootloader Fresh(int tries = UBootOptions.DefaultTrialTries, Dictionary<string, string>? seed = null)
    {
        _options = UBootEnvInteropTests.Provision(_dir, redundant: true, seed ?? new Dictionary<string, string> { ["bootdelay"] = "0" }) with { TrialTries = tries };
        _config = ToolFormats.FwEnvConfig(_dir, _options.Device, _options.Offset, _options.Size, _options.RedundantOffset);
        return new UBootBootloader(_options);
    }

    private async Task<IReadOnlyDictionary<string, string>> Env() =>
        (await new UBootEnvStore(_options).ReadAsync(CancellationToken.None)).Variables;

    /// <summary>One power-on: the script's choice, with its saveenv done by fw_setenv.</summary>
    private async Task<UBootBootDecision> Boot()
    {
        var env = await Env();
        var decision = UBootBootRule.Decide(env);
        if (decision.Saved)
        {
            string script = _dir.Path("saveenv.script");
            await File.WriteAllLinesAsync(script, decision.After.Where(v => !env.TryGetValue(v.Key, out var old) || old != v.Value).Select(v => $"{v.Key}={v.Value}"));
            await ProcessRunner.RunCheckedAsync("fw_setenv", "-c", _config, "-s", script);
        }

        Assert.Equal(decision.After.OrderBy(v => v.Key), (await Env()).OrderBy(v => v.Key));
        return decision;
    }

    [Fact]
    public async Task Fresh_install_boots_A_and_saves_the_defaults_once()
    {
        var uboot = Fresh();
        Assert.Equal("A", (await uboot.ReadStateAsync(CancellationToken.None)).NextBoot);

        var first = await Boot();
        Assert.Equal("A", first.Slot);
        Assert.True(first.Saved);
        Assert.Contains("BOOT_ORDER=A B\n", (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", _config)).Stdout, StringComparison.Ordinal);

        var second = await Boot();
        Assert.Equal("A", second.Slot);
        Assert.False(second.Saved);
        var state = await uboot.ReadStateAsync(CancellationToken.None);
        Assert.Equal(new SlotBootState("A", true, SlotBootState.Uncounted, false), state.Slot("A"));
        Assert.Equal(new SlotBootState("B", false, 0, false), state.Slot("B"));
    }

    [Fact]
    public async Task Trial_boot_counts_down_and_falls_back_when_never_marked_good()
    {
        var uboot = Fresh();
        await uboot.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Assert.Equal(new SlotBootState("B", true, 3, true), (await uboot.ReadStateAsync(CancellationToken.None)).Slot("B"));

        for (int left = 2; left >= 0; left--)
        {
            var boot = await Boot();
            Assert.Equal("B", boot.Slot);
            Assert.True(boot.Saved);
            Assert.Equal(left.ToString(System.Globalization.CultureInfo.InvariantCulture), (await Env())["BOOT_B_LEFT"]);
        }

        var fallback = await Boot();
        Assert.Equal("A", fallback.Slot);
        Assert.False(fallback.Saved);
        Assert.Equal(new SlotBootState("B", true, 0, true), (await uboot.ReadStateAsync(CancellationToken.None)).Slot("B"));
    }

    [Fact]
    public async Task Trial_marked_good_is_committed_and_no_longer_counted()
    {
        var uboot = Fresh();
        await uboot.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Assert.Equal("B", (await Boot()).Slot);
        await uboot.MarkGoodAsync("B", CancellationToken.None);

        for (int i = 0; i < 5; i++)
        {
            var boot = await Boot();
            Assert.Equal("B", boot.Slot);
            Assert.False(boot.Saved);
        }
    }

    [Fact]
    public async Task Failed_trial_marked_bad_boots_the_other_slot()
    {
        var uboot = Fresh();
        await uboot.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Assert.Equal("B", (await Boot()).Slot);
        await uboot.MarkBadAsync("B", CancellationToken.None);

        Assert.Equal("A", (await Boot()).Slot);
        Assert.Equal(new SlotBootState("B", false, 0, false), (await uboot.ReadStateAsync(CancellationToken.None)).Slot("B"));
    }

    [Fact]
    public async Task Both_slots_bad_boots_nothing_and_saves_nothing()
    {
        var uboot = Fresh();
        await uboot.MarkBadAsync("A", CancellationToken.None);
        await uboot.MarkBadAsync("B", CancellationToken.None);

        var boot = await Boot();

        Assert.Null(boot.Slot);
        Assert.False(boot.Saved);
        Assert.Null((await uboot.ReadStateAsync(CancellationToken.None)).NextBoot);
    }

    [Fact]
    public void Setexpr_arithmetic_is_hexadecimal_which_is_why_tries_stop_at_9()
    {
        Assert.Equal("8", UBootBootRule.SetExprMinusOne("9"));
        Assert.Equal("f", UBootBootRule.SetExprMinusOne("10"));
        Assert.Equal(0, UBootBootRule.StrToL("f"));
        Assert.Throws<BootloaderConfigurationException>(() => BootloaderFactory.UBootOptionsFrom(new Dictionary<string, string>
        {
            ["uboot-env"] = "/dev/mmcblk0", ["uboot-env-size"] = "0x2000", ["uboot-env-redundant-offset"] = "0x2000", ["uboot-trial-tries"] = "10",
        }));
    }

    [Fact]
    public void Reported_state_predicts_the_script_for_any_environment()
    {
        var random = new Random(20261128);
        string[] orders = ["A B", "B A", "B", "A", "C A B", "A  B", "B\tA"];
        string[] lefts = ["0", "1", "2", "3", "9", "10", "-1", "x", "3x", ""];
        string[] trials = ["0", "1", "2", "", "yes"];
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

            Maybe("BOOT_ORDER", orders);
            foreach (var slot in new[] { "A", "B" })
            {
                Maybe($"BOOT_{slot}_LEFT", lefts);
                Maybe($"BOOT_{slot}_TRIAL", trials);
            }

            var decision = UBootBootRule.Decide(env);
            var state = Rule.StateOf(env);
            Assert.Equal(decision.Slot, state.NextBoot);
            if (decision.Slot is { } slot2)
            {
                picked++;
                var before = state.Slot(slot2)!;
                var after = Rule.StateOf(decision.After).Slot(slot2)!;
                if (before.Trial && before.TriesLeft <= 9)
                {
                    Assert.Equal(before.TriesLeft - 1, after.TriesLeft);
                }
                else if (!before.Trial)
                {
                    Assert.Equal(SlotBootState.Uncounted, after.TriesLeft);
                }
            }
            else
            {
                none++;
            }
        }

        Assert.True(picked > 1000 && none > 1000, $"the generator must reach both outcomes ({picked} picked, {none} none)");
    }
}
