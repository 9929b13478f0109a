// SPDX-License-Identifier: Apache-2.0
using System.Text.RegularExpressions;

namespace System.Tests;

/// <summary>
/// The dist/ units, all enabled as their [Install] sections say, must load into one boot transaction without an
/// ordering cycle. systemd breaks a cycle by deleting a start job: the agent, or a verdict unit, then silently never
/// starts on the device, while starting the unit by hand (as the container tests do) still works. Checked with the
/// host's real systemd-analyze verify, which builds the boot's start transaction for the targets named.
/// </summary>
public sealed partial class UnitOrderingTests : IDisposable
{
    private readonly TempDirectory _directory = new("unit-ordering-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Every_shipped_unit_enabled_at_once_boots_without_an_ordering_cycle()
    {
        string units = _directory.Root;
        var enabled = new List<string>();
        foreach (string file in Directory.EnumerateFiles(RepositoryPaths.Dist(""), "*.*").Where(IsUnit))
        {
            string name = Path.GetFileName(file);
            File.Copy(file, Path.Combine(units, name));
            // What `systemctl enable` (or the preset) makes of [Install]: a link in TARGET.wants/ or TARGET.requires/.
            foreach (Match install in InstallLine().Matches(File.ReadAllText(file)))
            {
                string kind = install.Groups[1].Value == "WantedBy" ? "wants" : "requires";
                foreach (string target in install.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    string dir = Directory.CreateDirectory(Path.Combine(units, $"{target}.{kind}")).FullName;
                    File.CreateSymbolicLink(Path.Combine(dir, name), Path.Combine("..", name));
                    enabled.Add($"{name} -> {target}.{kind}");
                }
            }
        }
        Assert.Contains("updater.service -> multi-user.target.wants", enabled);
        Assert.Contains("updater-health.service -> boot-complete.target.requires", enabled);

        var start = ProcessRunner.StartInfo("systemd-analyze", "verify", "--man=no", "multi-user.target", "boot-complete.target", "timers.target");
        // The trailing colon keeps the system's own search path after ours, for the targets and units of systemd.
        start.Environment["SYSTEMD_UNIT_PATH"] = units + ":";
        var result = await ProcessRunner.RunAsync(start);

        Assert.False(Cycle().IsMatch(result.Output), $"systemd-analyze verify found an ordering cycle:\n{result.Output}");
        Assert.True(result.ExitCode == 0, $"systemd-analyze verify exited {result.ExitCode}: {result.Output}");
    }

    private static bool IsUnit(string path) => path.EndsWith(".service", StringComparison.Ordinal) || path.EndsWith(".timer", StringComparison.Ordinal);

    [GeneratedRegex(@"^(WantedBy|RequiredBy)=(.*)$", RegexOptions.Multiline)]
    private static partial Regex InstallLine();

    [GeneratedRegex("ordering cycle|deleted to break", RegexOptions.IgnoreCase)]
    private static partial Regex Cycle();
}
