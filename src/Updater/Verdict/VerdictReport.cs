// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Updater.Config;
using Updater.Fleet;
using Updater.State;
using Updater.Transport;

namespace Updater.Verdict;

/// <summary>
/// Tells [channel] report-url about the health verdict (and a rollback found on this boot), when one is set. A
/// verdict that reboots never waits for the network: its reports are queued in the state directory and go out
/// with the next run that does not reboot (the next boot's `updater health`). Otherwise they go out, queued ones
/// first, within a short grace. Never failing: the verdict, the bootloader write and the reboot must not wait
/// for, or fail because of, the fleet's status endpoint.
/// </summary>
internal static class VerdictReport
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    /// <summary>Queues this verdict's reports for a later run: durable before the reboot, no network.</summary>
    public static async Task QueueAsync(UpdaterConfig config, StateDirectory state, VerdictOutcome outcome, Action<string> log, CancellationToken cancellationToken)
    {
        if (config.Channel is not { ReportUrl: not null } channel)
        {
            return;
        }
        try
        {
            foreach (var report in Build(config, channel, outcome))
            {
                await state.QueueReportAsync(JsonSerializer.SerializeToUtf8Bytes(report, FleetReportJsonContext.Default.FleetReport), DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (UpdaterException e)
        {
            log($"the verdict's report is lost (it could not be queued): {e.Message}");
        }
    }

    /// <summary>Sends what earlier runs queued, then this verdict's reports, within <see cref="Grace"/>.</summary>
    public static async Task PostAsync(UpdaterConfig config, StateDirectory state, VerdictOutcome outcome, Action<string> log, CancellationToken cancellationToken)
    {
        if (config.Channel is not { ReportUrl: not null } channel)
        {
            return;
        }
        var queued = new List<(string File, FleetReport Report)>();
        var unreadable = new List<string>();
        foreach (var (file, json) in state.ReadQueuedReports())
        {
            try
            {
                if (JsonSerializer.Deserialize(json, FleetReportJsonContext.Default.FleetReport) is { } report)
                {
                    queued.Add((file, report));
                    continue;
                }
            }
            catch (JsonException)
            {
            }
            unreadable.Add(file);
        }
        state.DeleteQueuedReports(unreadable);

        var options = channel.TransportOptions(TimeProvider.System, log) with { Deadline = Grace };
        using var http = UpdaterHttpClient.Create(options);
        await using var reporter = new FleetReporter(channel.ReportUrl, http, options, log);
        var fresh = Build(config, channel, outcome);
        foreach (var report in queued.Select(q => q.Report).Concat(fresh))
        {
            reporter.Post(report);
        }
        cancellationToken.ThrowIfCancellationRequested();
        await reporter.FlushAsync(Grace, TimeProvider.System).ConfigureAwait(false);
        // At least once: queued reports stay until a run delivers everything it sent.
        if (reporter.Delivered == queued.Count + fresh.Count)
        {
            state.DeleteQueuedReports(queued.Select(q => q.File));
        }
    }

    private static List<FleetReport> Build(UpdaterConfig config, ChannelConfig channel, VerdictOutcome outcome)
    {
        var reports = new FleetReports(config, channel, TimeProvider.System);
        var list = new List<FleetReport>();
        if (outcome.RollbackRecorded is { } rollback)
        {
            list.Add(reports.Rollback(null, rollback, null, rollback.Explanation) with { CurrentVersion = outcome.Version });
        }
        list.Add(reports.Verdict(outcome));
        return list;
    }
}
