// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using HealthCheck.Definitions;
using HealthCheck.Parsing;
using HealthCheck.Running;
using Updater.Config;
using Updater.Device;
using Updater.Verdict;
using Updater.Text;

namespace Updater.Cli;

/// <summary>
/// `updater health [--json] [--no-reboot]`: the post-boot verdict (run by dist/updater-health.service). Exit 0 on
/// pass, 7 on fail; on a failed trial the slot is marked bad and the reboot command runs.
/// </summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var json = GlobalOptions.Json();
        var noReboot = new Option<bool>("--no-reboot") { Description = "After a failed verdict, record it and mark the slot bad, but do not reboot" };
        var command = new Command("health", "Run the health checks; on a trial boot commit the slot, or mark it bad and reboot into the other one") { json, noReboot };
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!, parse.GetValue(GlobalOptions.BootedSlot));
            var checks = await LoadChecksAsync(context.Config, ct).ConfigureAwait(false);
            var device = await context.ReadAsync(ct).ConfigureAwait(false);
            var outcome = await new VerdictAgent(context).JudgeAsync(device, checks, parse.GetValue(noReboot), ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(outcome, VerdictJsonContext.Default.VerdictOutcome));
            }
            else
            {
                Print(outcome, context.Config.Health.RebootCommand);
            }
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
        }, ct));
        return command;
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
