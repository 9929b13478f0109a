using System.CommandLine;
using System.Text.Json;
using Partition.Bootloaders;

namespace Updater.Cli;

/// <summary>`updater rollback`, `updater mark-good`, `updater mark-bad`: the operator's hands on the bootloader.</summary>
public static class SlotCommands
{
    public static Command Rollback()
    {
        var json = GlobalOptions.Json();
        var reboot = new Option<bool>("--reboot") { Description = "Reboot into it right away ([health] reboot-command)" };
        var command = new Command("rollback", "Make the other slot the one to boot, if it holds a good, complete image") { json, reboot };
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!);
            var booted = context.DetectBooted(parse.GetValue(GlobalOptions.BootedSlot)).Bootname;
            string other = context.Config.Slots.OtherBootname(booted);
            var state = await context.Bootloader.ReadStateAsync(ct).ConfigureAwait(false);
            RequireCompleteImage(context, other, "roll back to", state);
            if (state.Slot(other) is { Trial: true, TriesLeft: > 0 })
            {
                throw new UpdaterException(ExitCode.Refused, $"slot {other} holds a freshly installed image waiting for its trial boot: reboot to try it, or `updater mark-bad {other}` to cancel the update");
            }
            if (state.Slot(other) is not { Good: true })
            {
                throw new UpdaterException(ExitCode.Refused, $"slot {other} is marked bad in the bootloader (a failed update or a manual mark-bad): not rolling back onto it; if you are sure, `updater mark-good {other}` first");
            }
            await context.Bootloader.ActivateAsync(other, BootActivation.Permanent, ct).ConfigureAwait(false);
            bool rebootNow = parse.GetValue(reboot);
            int code = await ReportAsync(context, "rollback", other, parse.GetValue(json), rebootNow ? $"slot {other} will boot next; rebooting" : $"slot {other} will boot next; reboot to roll back", ct).ConfigureAwait(false);
            if (rebootNow)
            {
                // Only after the environment write above is durable: a failed reboot still leaves the rollback set.
                await Updater.Health.RebootCommand.RunAsync(context.Config.Health.RebootCommand, ct).ConfigureAwait(false);
            }
            return code;
        }, ct));
        return command;
    }

    public static Command Mark(bool good)
    {
        var which = new Argument<string>("slot") { Description = "booted, other, or a bootname (A, B)", DefaultValueFactory = _ => "booted" };
        var json = GlobalOptions.Json();
        string name = good ? "mark-good" : "mark-bad";
        var command = new Command(name, good ? "Mark a slot good: it stays bootable, its trial ends" : "Mark a slot bad: the bootloader will not boot it") { which, json };
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!);
            string target = Resolve(context, parse.GetValue(which)!, parse.GetValue(GlobalOptions.BootedSlot));
            if (good)
            {
                string? booted = TryBooted(context, parse.GetValue(GlobalOptions.BootedSlot));
                if (target != booted)
                {
                    RequireCompleteImage(context, target, "mark good", await context.Bootloader.ReadStateAsync(ct).ConfigureAwait(false));
                }
                await context.Bootloader.MarkGoodAsync(target, ct).ConfigureAwait(false);
            }
            else
            {
                await context.Bootloader.MarkBadAsync(target, ct).ConfigureAwait(false);
            }
            return await ReportAsync(context, name, target, parse.GetValue(json), $"slot {target} marked {(good ? "good" : "bad")}", ct).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static string Resolve(DeviceContext context, string which, string? bootedOverride)
    {
        var bootnames = context.Config.Slots.Bootnames;
        return which switch
        {
            "booted" => context.DetectBooted(bootedOverride).Bootname,
            "other" => context.Config.Slots.OtherBootname(context.DetectBooted(bootedOverride).Bootname),
            _ when bootnames.Contains(which) => which,
            _ => throw new UpdaterException(ExitCode.Usage, $"'{which}' is not booted, other, or one of the bootnames {string.Join(", ", bootnames)}"),
        };
    }

    private static string? TryBooted(DeviceContext context, string? bootedOverride)
    {
        try
        {
            return context.DetectBooted(bootedOverride).Bootname;
        }
        catch (UpdaterException)
        {
            return null;
        }
    }

    /// <summary>
    /// Never make a slot bootable whose image is missing or half-written: refused while an install into it is
    /// unfinished, and when nothing vouches for its content — neither a record of a completed install nor the
    /// bootloader (a factory-flashed slot has no record, but its environment marks it good).
    /// </summary>
    private static void RequireCompleteImage(DeviceContext context, string bootname, string action, BootState state)
    {
        var journal = context.State.ReadJournal();
        if (journal is not null && journal.TargetBootname == bootname)
        {
            throw new UpdaterException(ExitCode.Refused, $"cannot {action} slot {bootname}: an install of {journal.Version} into it was interrupted, its image is incomplete");
        }
        foreach (var slot in context.Config.Slots.All.Where(s => s.Bootname == bootname))
        {
            if (context.State.ReadSlot(slot) is null && state.Slot(bootname) is not { Good: true })
            {
                throw new UpdaterException(ExitCode.Refused, $"cannot {action} slot {bootname}: the state directory records no complete image in {slot.Name} ({slot.Device})");
            }
        }
    }

    private static async Task<int> ReportAsync(DeviceContext context, string action, string bootname, bool json, string message, CancellationToken ct)
    {
        var state = await context.Bootloader.ReadStateAsync(ct).ConfigureAwait(false);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new SlotActionReport(action, bootname, state.NextBoot), CliJsonContext.Default.SlotActionReport));
        }
        else
        {
            Console.WriteLine(message);
        }
        return 0;
    }
}
