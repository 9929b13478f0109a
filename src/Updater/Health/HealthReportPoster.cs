using HealthCheck.Running;
using Updater.Config;
using Updater.Fleet;
using Updater.Transport;

namespace Updater.Health;

/// <summary>
/// Sends the health verdict (and a rollback found on this boot) to [channel] report-url, when one is set.
/// Bounded by a short grace period and never failing: the verdict, the bootloader write and the reboot must
/// not wait for, or fail because of, the fleet's status endpoint.
/// </summary>
public static class HealthReportPoster
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    public static async Task PostAsync(UpdaterConfig config, HealthOutcome outcome, Action<string> log, CancellationToken cancellationToken)
    {
        if (config.Channel is not { ReportUrl: not null } channel)
        {
            return;
        }
        string machineId;
        try
        {
            machineId = MachineId.Read(channel.MachineIdFile);
        }
        catch (Exception e) when (e is UpdaterException or IOException or UnauthorizedAccessException)
        {
            machineId = "unknown";
        }
        var options = channel.TransportOptions(TimeProvider.System, log) with { Deadline = Grace };
        using var http = UpdaterHttpClient.Create(options);
        await using var reporter = new FleetReporter(channel.ReportUrl, http, options, log);
        var now = DateTimeOffset.UtcNow;
        if (outcome.RollbackRecorded is { } rollback)
        {
            reporter.Post(new FleetReport
            {
                Event = FleetEvent.Rollback,
                Time = now,
                MachineId = machineId,
                Compatible = config.Compatible,
                Group = channel.Group,
                TargetVersion = rollback.Version,
                RollbackReason = rollback.Reason,
                Message = rollback.Explanation,
            });
        }
        reporter.Post(new FleetReport
        {
            Event = outcome.Verdict == HealthVerdict.Pass ? FleetEvent.HealthPassed : FleetEvent.HealthFailed,
            Time = now,
            MachineId = machineId,
            Compatible = config.Compatible,
            Group = channel.Group,
            CurrentVersion = outcome.Version,
            HealthVerdict = outcome.Verdict == HealthVerdict.Pass ? "pass" : "fail",
            Message = outcome.Explanation,
        });
        cancellationToken.ThrowIfCancellationRequested();
        await reporter.FlushAsync(Grace, TimeProvider.System).ConfigureAwait(false);
    }
}
