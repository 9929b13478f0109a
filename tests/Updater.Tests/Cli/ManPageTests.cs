// SPDX-License-Identifier: Apache-2.0
using System.Text.RegularExpressions;
using Updater.Tests.Support;

namespace Updater.Tests.Cli;

/// <summary>dist/updater.1 keeps up with the binary: every command `updater --help` lists, and every exit code, has its entry.</summary>
public sealed partial class ManPageTests
{
    private static readonly string Page = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "dist", "updater.1"));

    [Fact]
    public async Task Every_command_of_the_binary_has_an_entry()
    {
        var help = await UpdaterProcess.ExpectAsync(0, "--help");
        var commands = help.Stdout[help.Stdout.IndexOf("Commands:", StringComparison.Ordinal)..]
            .Split('\n').Skip(1).Select(l => CommandLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("install", commands);
        var entries = EntryLine().Matches(Page).Select(m => m.Groups[1].Value.Replace("\\-", "-", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        Assert.All(commands, c => Assert.True(entries.Contains(c), $"dist/updater.1 has no .TP entry for `updater {c}`"));
    }

    [Fact]
    public void Every_exit_code_has_an_entry()
    {
        foreach (int code in Enum.GetValues<ExitCode>().Cast<int>())
        {
            Assert.Contains($".TP\n.B {code}\n", Page, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"^  ([a-z][a-z-]*)\b")]
    private static partial Regex CommandLine();

    [GeneratedRegex(@"(?m)^\.TP\n\.BI? ?R?I? ?([a-z\\-]+)")]
    private static partial Regex EntryLine();
}
