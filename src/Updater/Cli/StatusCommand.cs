using System.CommandLine;
using System.Text.Json;
using Partition.Bootloaders;
using Updater.Health;

namespace Updater.Cli;

/// <summary>`updater status`: what is booted, what each slot holds, what the bootloader will do next, and what disagrees.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var json = GlobalOptions.Json();
        var command = new Command("status", "Show the booted slot, each slot's content and the bootloader's view") { json };
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!);
            var report = await BuildAsync(context, parse.GetValue(GlobalOptions.BootedSlot), ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Default.StatusReport));
            }
            else
            {
                Print(report);
            }
            return 0;
        }, ct));
        return command;
    }

    public static async Task<StatusReport> BuildAsync(DeviceContext context, string? bootedOverride, CancellationToken ct)
    {
        var problems = new List<string>();
        string? booted = null, detectedBy = null;
        try
        {
            var b = context.DetectBooted(bootedOverride);
            booted = b.Bootname;
            detectedBy = b.Evidence;
        }
        catch (UpdaterException e)
        {
            problems.Add(e.Message);
        }

        BootState? boot = null;
        try
        {
            boot = await context.Bootloader.ReadStateAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BootEnvironmentException or IOException or UnauthorizedAccessException)
        {
            problems.Add($"bootloader environment unreadable: {e.Message}");
        }

        var journal = context.State.ReadJournal();
        var slots = new List<SlotStatus>();
        foreach (var slot in context.Config.Slots.All)
        {
            var record = context.State.ReadSlot(slot);
            var bootSlot = boot?.Slot(slot.Bootname);
            bool isBooted = slot.Bootname == booted;
            string state = isBooted ? "booted"
                : journal is not null && journal.TargetBootname == slot.Bootname ? "installing"
                : record is not null ? "installed" : "unrecorded";
            slots.Add(new SlotStatus
            {
                Name = slot.Name,
                Class = slot.Class,
                Bootname = slot.Bootname,
                Device = slot.Device,
                Booted = isBooted,
                State = state,
                Version = record?.Version,
                InstalledAt = record?.InstalledAt,
                ImageSha256 = record?.ImageSha256,
                BootGood = bootSlot?.Good,
                BootTriesLeft = bootSlot?.TriesLeft == SlotBootState.Uncounted ? null : bootSlot?.TriesLeft,
                BootTrial = bootSlot?.Trial,
            });
            if (!isBooted && bootSlot is { Bootable: true } && state == "installing")
            {
                problems.Add($"the bootloader may boot slot {slot.Bootname}, but an install into {slot.Name} is unfinished: mark it bad (`updater mark-bad {slot.Bootname}`) or finish the install");
            }
        }
        if (journal is not null)
        {
            problems.Add($"an install of {journal.Version} into slot {journal.TargetBootname} from {journal.Source} was interrupted; run it again to finish");
        }
        // Status only reads: a rollback it sees before `updater health` has recorded it is shown as unrecorded.
        var rollback = context.State.ReadRollback();
        bool? rollbackRecorded = rollback is null ? null : true;
        if (boot is not null && booted is not null &&
            RollbackDetector.Find(boot, booted, context.Config.Slots, context.State, DateTimeOffset.UtcNow) is { } seen)
        {
            rollback = seen;
            rollbackRecorded = false;
        }

        if (boot is not null && booted is not null && boot.NextBoot is null)
        {
            problems.Add("the bootloader has no bootable slot: the next boot will fail");
        }

        return new StatusReport
        {
            Compatible = context.Config.Compatible,
            BootedSlot = booted,
            BootedDetectedBy = detectedBy,
            Bootloader = context.Config.Bootloader,
            NextBoot = boot?.NextBoot,
            BootOrder = boot?.Order,
            BootloaderVariables = boot?.Variables,
            InstallInProgress = journal,
            Rollback = rollback,
            RollbackRecorded = rollbackRecorded,
            Slots = slots,
            Problems = problems,
        };
    }

    private static void Print(StatusReport r)
    {
        Console.WriteLine($"compatible:  {r.Compatible}");
        Console.WriteLine($"booted:      {r.BootedSlot ?? "unknown"}{(r.BootedDetectedBy is null ? "" : $" ({r.BootedDetectedBy})")}");
        Console.WriteLine($"bootloader:  {r.Bootloader}, next boot {r.NextBoot ?? "none"}, order {(r.BootOrder is null ? "unknown" : string.Join(" ", r.BootOrder))}");
        foreach (var s in r.Slots)
        {
            string tries = s.BootTriesLeft is null ? "committed" : $"{s.BootTriesLeft} tries left";
            string boot = s.BootGood is null ? "boot state unknown" : $"{(s.BootGood.Value ? "good" : "bad")}, {tries}{(s.BootTrial == true ? ", on trial" : "")}";
            Console.WriteLine($"slot {s.Name} [{s.Bootname}] {s.Device}: {s.State}, version {s.Version ?? "-"}{(s.InstalledAt is null ? "" : $", installed {s.InstalledAt:u}")}; bootloader: {boot}");
        }
        if (r.Rollback is { } rollback)
        {
            string when = r.RollbackRecorded == true ? $"found {rollback.DetectedAt:u}" : "seen now, recorded by the next `updater health`";
            Console.WriteLine($"rollback:    from slot {rollback.FromSlot}{(rollback.Version is null ? "" : $" ({rollback.Version})")} to {rollback.ToSlot}, {when}: {rollback.Explanation}");
        }
        foreach (var p in r.Problems)
        {
            Console.WriteLine($"problem: {p}");
        }
    }
}
