// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using Updater.Daemon;
using Updater.Device;
using Updater.Fleet;
using Updater.Transport;

namespace Updater.Cli;

/// <summary>`updater daemon`: the unattended agent run by dist/updater.service.</summary>
internal static class DaemonCommand
{
    public static Command Create()
    {
        var command = new Command("daemon", "Poll the channel and install what the rollout allows; stops cleanly on SIGTERM");
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!, parse.GetValue(GlobalOptions.BootedSlot));
            var log = new JournalLog();
            var options = context.Config.RequireChannel().TransportOptions(TimeProvider.System, log.Warning);
            using var http = UpdaterHttpClient.Create(options);
            using var notifier = SystemdNotifier.FromEnvironment();
            await using var reporter = new FleetReporter(context.Config.RequireChannel().ReportUrl, http, options, log.Warning);
            var client = new ChannelClient(context, http, TimeProvider.System, log: log.Warning);
            var daemon = new UpdateDaemon(client, reporter, notifier, log, TimeProvider.System, watchdog: SystemdNotifier.WatchdogInterval());
            await daemon.RunAsync(ct).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }
}
