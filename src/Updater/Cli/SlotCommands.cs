// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using Updater.Cli.Output;
using Updater.Device;
using Updater.Text;

namespace Updater.Cli;

/// <summary>`updater rollback`, `updater mark-good`, `updater mark-bad`: options, a call to <see cref="SlotMarker"/>, the printout.</summary>
internal static class SlotCommands
{
    public static Command Rollback()
    {
        var output = new OutputOptions();
        var reboot = new Option<bool>("--reboot") { Description = "Reboot into it right away ([health] reboot-command)" };
        var command = new Command("rollback", "Make the other slot the one to boot, if it holds a good, complete image") { reboot };
        output.AddTo(command);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!, parse.GetValue(GlobalOptions.BootedSlot));
            var device = await context.ReadAsync(ct).ConfigureAwait(false);
            var change = await new SlotMarker(context).RollbackAsync(device, ct).ConfigureAwait(false);
            bool rebootNow = parse.GetValue(reboot);
            Print(change, output.Get(parse), rebootNow ? $"slot {change.Bootname} will boot next; rebooting" : $"slot {change.Bootname} will boot next; reboot to roll back");
            if (rebootNow)
            {
                // Only after the environment write above is durable: a failed reboot still leaves the rollback set.
                await Console.Out.FlushAsync(ct).ConfigureAwait(false);
                await context.Rebooter.RebootAsync(ct).ConfigureAwait(false);
            }
            return 0;
        }, ct));
        return command;
    }

    public static Command Mark(bool good)
    {
        var which = new Argument<string>("slot") { Description = "booted, other, or a bootname (A, B)", DefaultValueFactory = _ => "booted" };
        var output = new OutputOptions();
        string name = good ? "mark-good" : "mark-bad";
        var command = new Command(name, good ? "Mark a slot good: it stays bootable, its trial ends" : "Mark a slot bad: the bootloader will not boot it") { which };
        output.AddTo(command);
        var force = new Option<bool>("--force") { Description = "Mark the last bootable slot bad all the same: the device will then stop at the bootloader" };
        if (!good)
        {
            command.Options.Add(force);
        }
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!, parse.GetValue(GlobalOptions.BootedSlot));
            var device = await context.ReadAsync(ct).ConfigureAwait(false);
            var side = device.Resolve(parse.GetValue(which)!);
            var marker = new SlotMarker(context);
            var change = good
                ? await marker.MarkGoodAsync(device, side, ct).ConfigureAwait(false)
                : await marker.MarkBadByHandAsync(device, side, parse.GetValue(force), ct).ConfigureAwait(false);
            Print(change, output.Get(parse), $"slot {change.Bootname} marked {(good ? "good" : "bad")}");
            return 0;
        }, ct));
        return command;
    }

    private static void Print(SlotChange change, OutputFormat format, string message) =>
        // The message names config bootnames: escaped like every line.
        ReportWriter.Write(format, change, CliJsonContext.Default.SlotChange, JsonSchemas.SlotChange, _ => Console.WriteLine(SafeText.Escape(message)));
}
