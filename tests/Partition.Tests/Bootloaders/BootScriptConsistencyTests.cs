using System.Globalization;
using System.Text.RegularExpressions;
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

    [Fact]
    public async Task Grub_cfg_boots_with_updater_slot_on_a_serial_console_and_reboots_on_panic()
    {
        string script = await File.ReadAllTextAsync(RepositoryPaths.Dist("grub.cfg"));

        Assert.Contains("updater.slot=$updater_slot $updater_cmdline", script, StringComparison.Ordinal);
        Assert.Contains("set updater_cmdline=\"console=ttyS0 panic=5\"", script, StringComparison.Ordinal);
        Assert.Contains("set updater_part_A=gpt2", script, StringComparison.Ordinal);
        Assert.Contains("set updater_part_B=gpt3", script, StringComparison.Ordinal);
        Assert.Contains("NO BOOTABLE SLOT", script, StringComparison.Ordinal);
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

    [GeneratedRegex(@"test -n ""\$\{(BOOT_[AB]_(?:LEFT|TRIAL))\}"" \|\| setenv \1 (\S+)")]
    private static partial Regex UBootDefault();

    [GeneratedRegex(@"setenv BOOT_ORDER ""([^""]*)""")]
    private static partial Regex UBootOrderDefault();
}
