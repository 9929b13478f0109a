// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Globalization;
using Updater.Cli.Output;
using Updater.Daemon;
using Updater.Device;
using Updater.Fleet;
using Updater.Transport;
using Updater.Text;

namespace Updater.Cli;

/// <summary>`updater check [--json] [--install]`: what the channel offers, whether the rollout wants this device now, and why.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var output = new OutputOptions();
        var install = new Option<bool>("--install") { Description = "Install the release when the rollout allows it (never while a trial boot awaits its verdict)" };
        var channel = new Option<string?>("--channel") { Description = "Channel file URL or path instead of [channel] url" };
        var command = new Command("check", "Say what would be installed from the channel and why, or why not") { install, channel };
        output.AddTo(command);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var format = output.Get(parse);
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!, parse.GetValue(GlobalOptions.BootedSlot));
            var log = new JournalLog();
            var channelConfig = context.Config.RequireChannel();
            var options = channelConfig.TransportOptions(TimeProvider.System, log.Warning);
            using var http = UpdaterHttpClient.Create(options);
            var client = new ChannelClient(context, http, TimeProvider.System, parse.GetValue(channel), log.Warning);
            if (parse.GetValue(install))
            {
                // One poll of the daemon: the same trial-boot guard, reports and reboot policy, for timer-driven devices.
                await using var reporter = new FleetReporter(channelConfig.ReportUrl, http, options, log.Warning);
                using var notifier = new SystemdNotifier(null);
                var daemon = new UpdateDaemon(client, reporter, notifier, log, TimeProvider.System);
                var outcome = await daemon.PollOnceAsync(ct).ConfigureAwait(false);
                await reporter.FlushAsync(TimeSpan.FromSeconds(10), TimeProvider.System).ConfigureAwait(false);
                ReportWriter.Write(format, CheckInstallReport.From(outcome), CliJsonContext.Default.CheckInstallReport, JsonSchemas.CheckInstall,
                    r => Console.WriteLine(r.Message));
                return 0;
            }
            var report = CheckReport.From(await client.CheckAsync(ct).ConfigureAwait(false), channelConfig.Group);
            ReportWriter.Write(format, report, CliJsonContext.Default.CheckReport, JsonSchemas.Check, report =>
            {
                // The channel's fields and the decision's reason come from the server; stdout may be the journal.
                Console.WriteLine(SafeText.Escape(string.Create(CultureInfo.InvariantCulture,
                    $"channel '{report.Channel}' version {report.ChannelVersion} (expires {UtcMinute.Format(report.ChannelExpires)}, signed by {report.SignedBy}) offers {report.ReleaseVersion}")));
                if (report.ClockCorrection is { } correction)
                {
                    Console.WriteLine(SafeText.Escape($"clock: {correction}"));
                }
                Console.WriteLine(SafeText.Escape(report.Reason));
            });
            return 0;
        }, ct));
        return command;
    }

    /// <summary>The report `updater check --json` prints and the D-Bus Check call returns.</summary>
    public static async Task<CheckReport> ReadAsync(DeviceContext context, Action<string> log, CancellationToken ct)
    {
        var channelConfig = context.Config.RequireChannel();
        using var http = UpdaterHttpClient.Create(channelConfig.TransportOptions(TimeProvider.System, log));
        var client = new ChannelClient(context, http, TimeProvider.System, log: log);
        return CheckReport.From(await client.CheckAsync(ct).ConfigureAwait(false), channelConfig.Group);
    }
}
