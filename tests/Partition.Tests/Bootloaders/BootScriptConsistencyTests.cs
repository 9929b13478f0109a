// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Text.RegularExpressions;
using Partition.Booted;
using Partition.Bootloaders;
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.UBoot;

namespace Partition.Tests.Bootloaders;

/// <summary>
/// dist/grub.cfg and dist/boot.cmd stay in step with the C# rules the other tests exercise: their defaults,
/// variable names, counter table and kernel command line. The real tools check the syntax (grub-script-check,
/// mkimage). Whether firmware boots them is the QEMU e2e suite's proof.
/// </summary>
public sealed partial class BootScriptConsistencyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Grub_cfg_passes_grub_script_check()
    {
        await ProcessRunner.RunCheckedAsync("grub-script-check", RepositoryPaths.Dist("grub.cfg"));
    }

    [Fact]
    public async Task Grub_cfg_defaults_and_load_env_whitelist_are_the_rule_s()
    {
        string script = await File.ReadAllTextAsync(RepositoryPaths.Dist("grub.cfg"));

        var defaults = GrubDefault().Matches(script).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim('"'));
        Assert.Equal(GrubBootRule.Defaults.OrderBy(v => v.Key), defaults.OrderBy(v => v.Key));

        var loadEnv = GrubLoadEnv().Match(script);
        Assert.True(loadEnv.Success, "grub.cfg must call load_env with a whitelist");
        Assert.Equal(GrubBootRule.Defaults.Keys.Order(), loadEnv.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [Fact]
    public async Task Grub_cfg_counter_table_covers_every_try_the_options_allow()
    {
        string script = await File.ReadAllTextAsync(RepositoryPaths.Dist("grub.cfg"));

        var table = GrubCounter().Matches(script).Select(m => (From: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), To: int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList();

        Assert.Equal(Enumerable.Range(0, GrubOptions.MaxTrialTries).Select(i => (i, i + 1)), table);
        foreach (var slot in EnvironmentBootloader.SupportedBootnames)
        {
            Assert.Contains($"save_env --file \"$updater_env\" {slot}_TRY", script, StringComparison.Ordinal);
        }
    }

    // What grub.cfg's kernel command line and partitions do is proven by booting it in tests/e2e (scenarios/*.sh),
    // not by its wording here:
    //   console=ttyS0  every scenario: their assertions read the guest's serial console (assert_booted, serial_*).
    //   panic=5        update_hang: v4's kernel panics on B's trial, the machine reboots and GRUB falls back to A.
    //   gpt2/gpt3      smoke_boot_a, smoke_boot_b: slot A boots image a1 from partition 2 and B boots b1 from
    //                  partition 3 of the disk tests/e2e/lib/disk.sh lays out.
    //   updater.slot=  every scenario: guest/initramfs-init mounts the slot it names (assert_booted checks it).
    // "NO BOOTABLE SLOT" is text for a person at the console (docs/bootloaders.md); nothing reads it, so nothing
    // checks it. What the C# code itself depends on is checked below.

    /// <summary>
    /// The updater writes only the slot that is not booted, and it learns the booted one from the kernel command
    /// line (booted-slot = auto). Every kernel grub.cfg can start, chosen by the rule or by hand from the menu,
    /// must name the slot whose partition it boots in the form <see cref="BootedSlotDetector"/> reads: a hand boot
    /// of A that said B would let an update overwrite the running system.
    /// </summary>
    [Fact]
    public async Task Every_grub_cfg_kernel_names_the_slot_it_boots_as_BootedSlotDetector_reads_it()
    {
        string script = await File.ReadAllTextAsync(RepositoryPaths.Dist("grub.cfg"));
        // The kernel sees $updater_cmdline expanded: a slot named there would override the one before it.
        string cmdline = GrubCmdline().Match(script).Groups[1].Value;
        var kernels = GrubLinux().Matches(script).Select(m => m.Groups[1].Value.Replace("$updater_cmdline", cmdline, StringComparison.Ordinal)).ToList();

        // The rule's own boot, and one menu entry per slot for booting by hand.
        Assert.Equal(1 + EnvironmentBootloader.SupportedBootnames.Count, kernels.Count);
        string byRule = Assert.Single(kernels, k => k.Contains("${updater_dev}", StringComparison.Ordinal));
        foreach (var slot in EnvironmentBootloader.SupportedBootnames)
        {
            // $updater_slot also chose the partition in $updater_dev.
            Assert.Equal(slot, BootedSlotDetector.FromCommandLine(byRule.Replace("$updater_slot", slot, StringComparison.Ordinal)));

            string byHand = Assert.Single(kernels, k => k.Contains("${updater_part_" + slot + "}", StringComparison.Ordinal));
            Assert.Equal(slot, BootedSlotDetector.FromCommandLine(byHand));
        }
    }

    [Fact]
    public async Task Boot_cmd_defaults_are_the_rule_s()
    {
        string script = await File.ReadAllTextAsync(RepositoryPaths.Dist("boot.cmd"));

        var defaults = UBootDefault().Matches(script).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).Distinct().ToDictionary();
        defaults[UBootBootRule.Order] = UBootOrderDefault().Match(script).Groups[1].Value;

        Assert.Equal(UBootBootRule.Defaults.OrderBy(v => v.Key), defaults.OrderBy(v => v.Key));
        // Defaults are applied twice: saved for a fresh environment, and in memory for any missing variable.
        Assert.Equal(2 * (UBootBootRule.Defaults.Count - 1), UBootDefault().Matches(script).Count);
    }

    [Fact]
    public async Task Boot_cmd_counts_only_trials_and_boots_with_updater_slot()
    {
        string script = await File.ReadAllTextAsync(RepositoryPaths.Dist("boot.cmd"));

        foreach (var slot in EnvironmentBootloader.SupportedBootnames)
        {
            Assert.Contains($"if test ${{{UBootBootRule.Left(slot)}}} -gt 0; then", script, StringComparison.Ordinal);
            Assert.Contains($"if test \"${{{UBootBootRule.Trial(slot)}}}\" = \"1\"; then", script, StringComparison.Ordinal);
            Assert.Contains($"setexpr {UBootBootRule.Left(slot)} ${{{UBootBootRule.Left(slot)}}} - 1", script, StringComparison.Ordinal);
        }

        Assert.Contains("updater.slot=${updater_slot}", script, StringComparison.Ordinal);
        Assert.Contains("NO BOOTABLE SLOT", script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Boot_cmd_wraps_into_a_u_boot_script_image()
    {
        string image = _dir.Path("boot.scr");

        await ProcessRunner.RunCheckedAsync("mkimage", "-A", "arm64", "-T", "script", "-C", "none", "-n", "updater", "-d", RepositoryPaths.Dist("boot.cmd"), image);

        Assert.Contains("Script", (await ProcessRunner.RunCheckedAsync("mkimage", "-l", image)).Stdout, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^set ((?:ORDER|[AB]_(?:OK|TRY|TRIAL)))=(.*)$", RegexOptions.Multiline)]
    private static partial Regex GrubDefault();

    [GeneratedRegex(@"^load_env --file ""\$updater_env"" (.*)$", RegexOptions.Multiline)]
    private static partial Regex GrubLoadEnv();

    [GeneratedRegex(@"\[ ""\$updater_try"" = (\d) \]; then set updater_next=(\d)")]
    private static partial Regex GrubCounter();

    [GeneratedRegex(@"^\s*linux (.*)$", RegexOptions.Multiline)]
    private static partial Regex GrubLinux();

    [GeneratedRegex(@"^set updater_cmdline=""(.*)""$", RegexOptions.Multiline)]
    private static partial Regex GrubCmdline();

    [GeneratedRegex(@"test -n ""\$\{(BOOT_[AB]_(?:LEFT|TRIAL))\}"" \|\| setenv \1 (\S+)")]
    private static partial Regex UBootDefault();

    [GeneratedRegex(@"setenv BOOT_ORDER ""([^""]*)""")]
    private static partial Regex UBootOrderDefault();
}
