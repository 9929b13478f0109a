// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using Updater.Cli.Output;
using Updater.Device;
using Updater.Text;

namespace Updater.Cli;

/// <summary>
/// `updater status`: what is booted, what each slot holds, what the bootloader will do next, and what disagrees.
/// Each line quotes config, state files and bundle manifests, so it goes out through <see cref="SafeText"/>.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var output = new OutputOptions();
        var command = new Command("status", "Show the booted slot, each slot's content and the bootloader's view; exits 8 when it lists a problem");
        output.AddTo(command);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!, parse.GetValue(GlobalOptions.BootedSlot));
            var report = await ReadAsync(context, ct).ConfigureAwait(false);
            ReportWriter.Write(output.Get(parse), report, CliJsonContext.Default.StatusReport, JsonSchemas.Status, Print);
            // A script (or a monitoring check) learns "something is wrong" without parsing: the report is whole either way.
            return report.Problems.Count > 0 ? (int)ExitCode.ProblemsListed : (int)ExitCode.Success;
        }, ct));
        return command;
    }

    /// <summary>The report `updater status` prints and the D-Bus GetStatus call returns: the device, its clock and trust root.</summary>
    public static async Task<StatusReport> ReadAsync(DeviceContext context, CancellationToken ct)
    {
        var report = DeviceStatus.From(await context.ReadAsync(ct).ConfigureAwait(false), context.Time.GetUtcNow());
        try
        {
            report = report with { ClockCorrection = context.Clock.Read().Correction };
        }
        catch (UpdaterException e)
        {
            report = report with { Problems = [.. report.Problems, e.Message] };
        }
        try
        {
            // After the device read: the running image's build time is one of the clock's floors.
            var root = context.Trust.Load();
            context.Clock.AddFloor(root.Document.Issued, $"trust root version {root.Version}");
            var now = context.Clock.GetUtcNow();
            report = report with { TrustRoot = new TrustRootStatus(root.Version, root.Source, root.Document.Expires, now >= root.Document.Expires) };
            if (now >= root.Document.Expires)
            {
                report = report with { Problems = [.. report.Problems, $"trust root version {root.Version} expired at {Fleet.UtcMinute.Format(root.Document.Expires)}: nothing installs until version {root.Version + 1} is installed (beside the channel file, or `updater trust update FILE`)"] };
            }
        }
        catch (UpdaterException e)
        {
            report = report with { Problems = [.. report.Problems, e.Message] };
        }
        return report;
    }

    private static void Print(StatusReport r)
    {
        Console.WriteLine(SafeText.Escape($"compatible:  {r.Compatible}"));
        Console.WriteLine(SafeText.Escape($"booted:      {r.BootedSlot ?? "unknown"}{(r.BootedDetectedBy is null ? "" : $" ({r.BootedDetectedBy})")}"));
        Console.WriteLine(SafeText.Escape($"bootloader:  {r.Bootloader}, next boot {r.NextBoot ?? "none"}, order {(r.BootOrder is null ? "unknown" : string.Join(" ", r.BootOrder))}"));
        foreach (var s in r.Slots)
        {
            string tries = s.BootTriesLeft is null ? "committed" : $"{s.BootTriesLeft} tries left";
            string boot = s.BootGood is null ? "boot state unknown" : $"{(s.BootGood.Value ? "good" : "bad")}, {tries}{(s.BootTrial == true ? ", on trial" : "")}";
            Console.WriteLine(SafeText.Escape($"slot {s.Name} [{s.Bootname}] {s.Device} ({s.Type}): {Word(s.State)}, version {s.Version ?? "-"}{(s.InstalledAt is null ? "" : $", installed {s.InstalledAt:u}")}; bootloader: {boot}"));
        }
        string sources = string.Join(", ", r.SecurityFloorSources.Select(f => $"{f.Source}: {f.Value}"));
        Console.WriteLine(SafeText.Escape($"floor:       {(r.SecurityFloor is { } floor ? $"security version {floor} ({sources})" : "none readable")}"));
        if (r.Rollback is { } rollback)
        {
            string when = r.RollbackRecorded == true ? $"found {rollback.DetectedAt:u}" : "seen now, recorded by the next `updater health`";
            Console.WriteLine(SafeText.Escape($"rollback:    from slot {rollback.FromSlot}{(rollback.Version is null ? "" : $" ({rollback.Version})")} to {rollback.ToSlot}, {when}: {rollback.Explanation}"));
        }
        if (r.TrustRoot is { } trust)
        {
            Console.WriteLine(SafeText.Escape($"trust:       root version {trust.Version} ({trust.Source}), expires {Fleet.UtcMinute.Format(trust.Expires)}{(trust.Expired ? ", EXPIRED" : "")}"));
        }
        if (r.ClockCorrection is { } correction)
        {
            Console.WriteLine(SafeText.Escape($"clock:       {correction}"));
        }
        foreach (var p in r.Problems)
        {
            Console.WriteLine(SafeText.Escape($"problem: {p}"));
        }
    }

    private static string Word(SlotContent content) => content switch
    {
        SlotContent.Booted => "booted",
        SlotContent.Installing => "installing",
        SlotContent.Installed => "installed",
        _ => "unrecorded",
    };
}
