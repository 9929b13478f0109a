using Updater.Config;
using Updater.Fleet;
using Updater.Transport;

namespace Updater.Verdict;

/// <summary>
/// Sends the health verdict (and a rollback found on this boot) to [channel] report-url, when one is set.
/// Bounded by a short grace period and never failing: the verdict, the bootloader write and the reboot must
/// not wait for, or fail because of, the fleet's status endpoint.
/// </summary>
internal static class VerdictReport
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    public static async Task PostAsync(UpdaterConfig config, VerdictOutcome outcome, Action<string> log, CancellationToken cancellationToken)
    {
        if (config.Channel is not { ReportUrl: not null } channel)
        {
            return;
        }
        var options = channel.TransportOptions(TimeProvider.System, log) with { Deadline = Grace };
        using var http = UpdaterHttpClient.Create(options);
        await using var reporter = new FleetReporter(channel.ReportUrl, http, options, log);
        var reports = new FleetReports(config, channel, TimeProvider.System);
        if (outcome.RollbackRecorded is { } rollback)
        {
            reporter.Post(reports.Rollback(null, rollback, null, rollback.Explanation) with { CurrentVersion = outcome.Version });
        }
        reporter.Post(reports.Verdict(outcome));
        cancellationToken.ThrowIfCancellationRequested();
        await reporter.FlushAsync(Grace, TimeProvider.System).ConfigureAwait(false);
    }
}
