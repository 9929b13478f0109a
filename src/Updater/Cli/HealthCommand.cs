// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Globalization;
using Updater.Cli.Output;
using HealthCheck.Definitions;
using HealthCheck.Parsing;
using HealthCheck.Running;
using Updater.Config;
using Updater.Device;
using Updater.Verdict;
using Updater.Text;

namespace Updater.Cli;

/// <summary>
/// `updater health [--json] [--no-reboot] [--defer-commit]`: the post-boot verdict (run by
/// dist/updater-health.service, before boot-complete.target). Exit 0 on pass, 7 on fail; on a failed trial the
/// slot is marked bad and the reboot command runs. With --defer-commit a trial's pass is recorded for this boot
/// and `updater commit` (dist/updater-commit.service, after boot-complete.target) commits it.
/// </summary>
internal static class HealthCommand
{
    /// <summary>The target whose being reached vetoes or allows the commit (systemd's boot assessment).</summary>
    public const string BootCompleteTarget = "boot-complete.target";

    public static Command Create()
    {
        var output = new OutputOptions();
        var noReboot = NoReboot();
        var defer = new Option<bool>("--defer-commit") { Description = "On a trial boot that passes, record the pass and leave the commit to `updater commit` after boot-complete.target" };
        var command = new Command("health", "Run the health checks; on a trial boot commit the slot, or mark it bad and reboot into the other one") { noReboot, defer };
        output.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(parse, output, noReboot, parse.GetValue(defer) ? VerdictStage.Checks : VerdictStage.Whole, null, ct));
        return command;
    }

    /// <summary>`updater commit [--json] [--no-reboot] [--target UNIT]`: the second half of a deferred verdict.</summary>
    public static Command CreateCommit()
    {
        var output = new OutputOptions();
        var noReboot = NoReboot();
        var target = new Option<string>("--target") { Description = "The unit that must be active for the commit", DefaultValueFactory = _ => BootCompleteTarget };
        var command = new Command("commit", "After boot-complete.target: commit a trial that passed its checks in this boot, or, if the target was not reached (a unit it requires failed), mark it bad and reboot") { noReboot, target };
        output.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(parse, output, noReboot, VerdictStage.Commit, parse.GetValue(target), ct));
        return command;
    }

    private static Option<bool> NoReboot() => new("--no-reboot") { Description = "After a failed verdict, record it and mark the slot bad, but do not reboot" };

    private static Task<int> RunAsync(ParseResult parse, OutputOptions output, Option<bool> noReboot, VerdictStage stage, string? target, CancellationToken ct) =>
        CliRunner.RunAsync(async () =>
        {
            var format = output.Get(parse);
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!, parse.GetValue(GlobalOptions.BootedSlot));
            var checks = stage == VerdictStage.Commit ? [TargetReached(target!)] : await LoadChecksAsync(context.Config, ct).ConfigureAwait(false);
            var device = await context.ReadAsync(ct).ConfigureAwait(false);
            if (stage == VerdictStage.Commit && !(device.Booted is not null && device.BootedSide.AwaitsVerdict))
            {
                // Committed already, or judged by `updater health` (marked bad, rebooting): nothing is left to do,
                // and a failed unit here would only add noise to a boot that is fine or already being undone.
                var skipped = new CommitSkipped
                {
                    BootedSlot = device.Booted?.Bootname,
                    Explanation = $"{(device.Booted is null ? "the booted slot is not known" : $"{device.BootedSide.Describe()} is not on a trial boot awaiting its verdict")}; nothing to commit",
                };
                ReportWriter.Write(format, skipped, CliJsonContext.Default.CommitSkipped, JsonSchemas.CommitSkipped,
                    s => Console.WriteLine(SafeText.Escape($"commit: {s.Explanation}")));
                return (int)ExitCode.Success;
            }
            var outcome = await new VerdictAgent(context).JudgeAsync(device, checks, parse.GetValue(noReboot), ct, stage).ConfigureAwait(false);
            ReportWriter.Write(format, outcome, VerdictJsonContext.Default.VerdictOutcome, JsonSchemas.Verdict, o => Print(o, context.Config.Health.RebootCommand));
            // Printed first: once the reboot starts, the journal may not take another line.
            await Console.Out.FlushAsync(ct).ConfigureAwait(false);
            Action<string> warn = message => Console.Error.WriteLine(SafeText.Escape($"updater: report: {message}"));
            if (outcome.Reboot)
            {
                // The verdict is durable; the reboot waits for nothing on the network. The fleet hears of it from
                // the next boot, which sends what this run queued.
                await VerdictReport.QueueAsync(context.Config, context.State, outcome, warn, ct).ConfigureAwait(false);
                try
                {
                    await context.Rebooter.RebootAsync(ct).ConfigureAwait(false);
                }
                catch (UpdaterException e)
                {
                    // Still a failed verdict (exit 7, which scripts and the service act on); the reason goes to stderr.
                    return CliRunner.Fail(ExitCode.HealthFailed, e.Message);
                }
            }
            else
            {
                await VerdictReport.PostAsync(context.Config, context.State, outcome, warn, ct).ConfigureAwait(false);
            }
            return outcome.Verdict == HealthVerdict.Pass ? (int)ExitCode.Success : (int)ExitCode.HealthFailed;
        }, ct);

    /// <summary>
    /// The commit's one check: the target is active. `updater commit` runs after it (After=), so it is settled:
    /// not active means its job failed, because a unit it requires failed or timed out.
    /// </summary>
    private static HealthCheckDefinition TargetReached(string target)
    {
        if (target.Length is 0 or > 256 || !target.Contains('.', StringComparison.Ordinal) || target.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == '/'))
        {
            throw new UpdaterException(ExitCode.Usage, $"--target: '{SafeText.Escape(string.Concat(target.Take(80)))}' is not a unit name");
        }
        return new HealthCheckDefinition(target, HealthCheckKind.SystemdUnit, target, "updater commit --target")
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    private static async Task<IReadOnlyList<HealthCheck.Definitions.HealthCheckDefinition>> LoadChecksAsync(UpdaterConfig config, CancellationToken ct)
    {
        try
        {
            return await HealthCheckParser.LoadDirectoryAsync(config.Health.ChecksDirectory, ct).ConfigureAwait(false);
        }
        catch (HealthCheckConfigException e)
        {
            throw new ConfigException(e.Message);
        }
    }

    private static void Print(VerdictOutcome outcome, string rebootCommand)
    {
        var report = outcome.Report;
        // Check reasons quote command output, HTTP answers and unit states, and stdout is the journal
        // (SyslogLevelPrefix=): every line goes out through SafeText.
        Console.WriteLine(SafeText.Escape(string.Create(CultureInfo.InvariantCulture,
            $"health of slot {outcome.BootedSlot}{(outcome.Version is null ? "" : $" ({outcome.Version})")}, {(outcome.Trial ? "trial boot" : "committed")}: {report.Checks.Count} check(s) in {report.Duration.TotalSeconds:0.00} s")));
        if (outcome.RollbackRecorded is { } rollback)
        {
            Console.WriteLine(SafeText.Escape($"rollback recorded: {rollback.Explanation}"));
        }
        int width = report.Checks.Count == 0 ? 0 : report.Checks.Max(c => c.Name.Length);
        foreach (var check in report.Checks)
        {
            string mark = check.Passed ? "ok  " : check.Required ? "FAIL" : "warn";
            string attempts = check.Attempts == 1 ? "1 attempt" : $"{check.Attempts} attempts";
            Console.WriteLine(SafeText.Escape(string.Create(CultureInfo.InvariantCulture,
                $"  {mark} {check.Name.PadRight(width)}  {HealthCheckKindWords.Word(check.Kind)} {check.Target}: {check.Duration.TotalSeconds:0.00} s, {attempts}{(check.Reason is null ? "" : $": {check.Reason}")}")));
        }
        string verdict = outcome.Verdict == HealthVerdict.Pass ? "pass" : "fail";
        Console.WriteLine(SafeText.Escape($"verdict: {verdict}: {outcome.Explanation}{(outcome.Reboot ? $"; rebooting ({rebootCommand})" : "")}"));
    }
}
