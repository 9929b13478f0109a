// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;

namespace Updater.Cli;

/// <summary>
/// The command line: every command under one root, parsed and run. Program.cs is only its entry point, so the
/// state-machine exploration (tests/explore) drives the very same commands in-process, thousands of times a second.
/// </summary>
internal static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("updater: atomic A/B OS image updates with automatic rollback")
        {
            GlobalOptions.Config,
            GlobalOptions.BootedSlot,
        };
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(InstallCommand.Create());
        root.Subcommands.Add(HealthCommand.Create());
        root.Subcommands.Add(HealthCommand.CreateCommit());
        root.Subcommands.Add(SlotCommands.Rollback());
        root.Subcommands.Add(SlotCommands.Mark(good: true));
        root.Subcommands.Add(SlotCommands.Mark(good: false));
        root.Subcommands.Add(KeygenCommand.Create());
        root.Subcommands.Add(BundleCommand.Create());
        root.Subcommands.Add(ChannelCommand.Create());
        root.Subcommands.Add(TrustCommand.Create());
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(DaemonCommand.Create());
        root.Subcommands.Add(DBusServiceCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parsed = Build().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                // The message quotes the command line, which a script may have built from outside text.
                Console.Error.WriteLine($"updater: usage: {Text.SafeText.Escape(error.Message)}");
            }
            return (int)ExitCode.Usage;
        }
        return await parsed.InvokeAsync().ConfigureAwait(false);
    }
}
