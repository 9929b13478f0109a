using System.CommandLine;
using Updater.Daemon;
using Updater.Fleet;
using Updater.Transport;

namespace Updater.Cli;

/// <summary>`updater daemon`: the unattended agent run by dist/updater.service.</summary>
public static class DaemonCommand
{
    public static Command Create()
    {
        var command = new Command("daemon", "Poll the channel and install what the rollout allows; stops cleanly on SIGTERM");
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!);
            var channel = context.Config.Channel ?? throw new Config.ConfigException($"{context.Config.File}: no [channel] section: the daemon needs [channel] url");
            var log = new JournalLog();
            var options = channel.TransportOptions(TimeProvider.System, log.Warning);
            using var http = UpdaterHttpClient.Create(options);
            using var notifier = SystemdNotifier.FromEnvironment();
            await using var reporter = new FleetReporter(channel.ReportUrl, http, options, log.Warning);
            var updater = new ChannelUpdater(context.Config, context.Bootloader, context.Detector, http, TimeProvider.System,
                parse.GetValue(GlobalOptions.BootedSlot), log: log.Warning);
            var daemon = new UpdateDaemon(updater, context.Config.Compatible, reporter, notifier, new CommandRebooter(context.Config.Health.RebootCommand), log,
                TimeProvider.System, watchdog: SystemdNotifier.WatchdogInterval());
            await daemon.RunAsync(ct).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }
}
