// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using Updater.Cli;

var root = new RootCommand("updater: atomic A/B OS image updates with automatic rollback")
{
    GlobalOptions.Config,
    GlobalOptions.BootedSlot,
};
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(InstallCommand.Create());
root.Subcommands.Add(HealthCommand.Create());
root.Subcommands.Add(SlotCommands.Rollback());
root.Subcommands.Add(SlotCommands.Mark(good: true));
root.Subcommands.Add(SlotCommands.Mark(good: false));
root.Subcommands.Add(KeygenCommand.Create());
root.Subcommands.Add(BundleCommand.Create());
root.Subcommands.Add(ChannelCommand.Create());
root.Subcommands.Add(TrustCommand.Create());
root.Subcommands.Add(CheckCommand.Create());
root.Subcommands.Add(DaemonCommand.Create());

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        // The message quotes the command line, which a script may have built from outside text.
        Console.Error.WriteLine($"updater: usage: {Updater.Text.SafeText.Escape(error.Message)}");
    }
    return (int)Updater.ExitCode.Usage;
}
return await parsed.InvokeAsync().ConfigureAwait(false);
