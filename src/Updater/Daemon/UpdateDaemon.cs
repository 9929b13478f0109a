// SPDX-License-Identifier: Apache-2.0
using Updater.Device;
using Updater.Fleet;
using Updater.Reboot;

namespace Updater.Daemon;

/// <summary>
/// `updater daemon`: poll the channel every interval plus random jitter (a 304 when nothing changed),
/// install what the rollout allows, never while a trial boot awaits its verdict, reboot only if configured
/// (and inside the reboot window), report what happened, and keep systemd informed: ready, status,
/// watchdog pings (only as the loop makes progress, see <see cref="ProgressWatchdog"/>), stopping. Cancellation (SIGTERM) stops at once; an interrupted install leaves its
/// journal, and the next start resumes it.
/// </summary>
internal sealed class UpdateDaemon
{
    private readonly ChannelClient _client;
    private readonly FleetReporter _reporter;
    private readonly FleetReports _reports;
    private readonly SystemdNotifier _notifier;
    private readonly IRebooter _rebooter;
    private readonly JournalLog _log;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ProgressWatchdog _watchdog;
    private string? _lastReason;
    private string? _lastCorrection;
    private bool _rollbackReported;

    public UpdateDaemon(ChannelClient client, FleetReporter reporter, SystemdNotifier notifier, JournalLog log,
        TimeProvider time, Random? random = null, TimeSpan? watchdog = null)
    {
        _client = client;
        _reporter = reporter;
        _reports = new FleetReports(client.Device.Config, client.Channel, time);
        _notifier = notifier;
        _rebooter = client.Device.Rebooter;
        _log = log;
        _time = time;
        _random = random ?? Random.Shared;
        _watchdog = new ProgressWatchdog(notifier, watchdog, time);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var channel = _client.Channel;
        _notifier.Ready($"polling {Transport.SafeUrl.Redact(channel.Url)} every {channel.PollInterval}");
        _watchdog.Alive();
        _log.Info($"polling {Transport.SafeUrl.Redact(channel.Url)} every {channel.PollInterval} plus up to {channel.PollJitter} of jitter");
        _reporter.Post(_reports.Status(await TryReadDeviceAsync(cancellationToken).ConfigureAwait(false)));
        int failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await PollOnceAsync(cancellationToken).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Whatever one poll ran into, the agent stays up: a crash-looping daemon under systemd restarts
                // into the same failure and never sees the fix that the next channel file may bring.
                failures++;
                string what = e is UpdaterException or IOException or HttpRequestException or UnauthorizedAccessException
                    ? e.Message : $"internal error ({e.GetType().Name}): {e.Message}";
                _log.Error(what);
                _notifier.Status($"last poll failed: {what}");
            }
            // A poll that ended, well or not, is progress; one that never ends sends no more pings.
            _watchdog.Alive();
            try
            {
                await SleepAsync(NextDelay(channel.PollInterval, channel.PollJitter, failures), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        _notifier.Stopping("stopping");
        _log.Info("stopping; an interrupted install resumes on the next start");
        // Short: systemd (and the command line's SIGTERM handling) wait only a little for a clean exit.
        await _reporter.FlushAsync(TimeSpan.FromSeconds(1), _time).ConfigureAwait(false);
    }

    /// <summary>One poll: exposed so tests and `updater check --install` drive single steps.</summary>
    public async Task<PollOutcome> PollOnceAsync(CancellationToken cancellationToken)
    {
        var device = await _client.Device.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (device.VerdictPending is { } pending)
        {
            Note($"{pending}: not installing anything until it is given");
            return PollOutcome.TrialPending;
        }
        ChannelCheck check;
        try
        {
            check = await _client.CheckAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (_client.Channel.AutoReboot && device.Staged is not null && e is UpdaterException or IOException or HttpRequestException)
        {
            // The channel accepted last said to install this release: an unreachable channel must not keep it
            // from ever being activated. (A halt or withdrawal that cannot be fetched cannot be obeyed either.)
            _log.Warning($"channel unreachable ({e.Message}); activating the staged slot as the last accepted channel said");
            return await MaybeRebootAsync(cancellationToken).ConfigureAwait(false);
        }
        var doc = check.Channel.Document;
        if (check.Clock.Correction is { } correction && correction != _lastCorrection)
        {
            // Once per change, not per poll: a clock behind the signed times is worth a look, not a flood.
            _lastCorrection = correction;
            _log.Warning($"clock: {correction}");
        }
        Note($"channel '{doc.Channel}' version {doc.Version}{(check.NotModified ? " (not modified)" : "")}: {check.Decision.Reason}");
        if (check.Decision.Verdict == RolloutVerdict.RolledBack && !_rollbackReported)
        {
            // The fleet learns once per agent run that this device is back on its old side, and why.
            _rollbackReported = true;
            _reporter.Post(_reports.Rollback(device, device.Rollback, check, check.Decision.Reason));
        }
        if (device.Staged is { } staged)
        {
            if (check.Decision.Verdict == RolloutVerdict.Halted || staged.Version != doc.Release.Version)
            {
                // The channel halted or no longer offers what is staged: it must not boot. Marked bad, the
                // bootloader stays on the running side, and no reboot is pending any more.
                string why = check.Decision.Verdict == RolloutVerdict.Halted ? check.Decision.Reason : $"channel '{doc.Channel}' now offers {doc.Release.Version}";
                await new SlotMarker(_client.Device).MarkBadAsync(staged, "channel", $"cancelled the staged {staged.Describe()}: {why}", cancellationToken).ConfigureAwait(false);
                _log.Warning($"cancelled the staged {staged.Describe()}: {why}");
                _notifier.Status($"staged update cancelled: {why}");
                _reporter.Post(_reports.Install(FleetEvent.InstallCancelled, device, check, why));
                return PollOutcome.StagedCancelled;
            }
            // Still wanted: activate it (in the reboot window, if auto-reboot is on), also after an agent restart.
            return await MaybeRebootAsync(cancellationToken).ConfigureAwait(false);
        }
        if (!check.Decision.ShouldInstall)
        {
            _notifier.Status(check.Decision.Reason);
            return PollOutcome.NothingToDo;
        }

        _notifier.Status($"installing {doc.Release.Version}");
        _reporter.Post(_reports.Install(FleetEvent.InstallStarted, device, check));
        try
        {
            // An install may outlast WatchdogSec; its moving bytes keep the watchdog fed, a stalled one does not.
            var result = await _client.InstallAsync(check, _watchdog, cancellationToken).ConfigureAwait(false);
            _log.Info($"installed {result.Version} into slot {result.TargetBootname} ({result.WrittenBytes} bytes written{(result.Resumed ? ", resumed" : "")}); it is tried on the next boot");
            _reporter.Post(_reports.Install(FleetEvent.InstallFinished, device, check));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _log.Warning($"install of {doc.Release.Version} interrupted; it resumes on the next start");
            throw;
        }
        catch (Exception e) when (e is UpdaterException or IOException or HttpRequestException or UnauthorizedAccessException)
        {
            _reporter.Post(_reports.Install(FleetEvent.InstallFailed, device, check, e.Message));
            throw;
        }
        return await MaybeRebootAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<PollOutcome> MaybeRebootAsync(CancellationToken cancellationToken)
    {
        var channel = _client.Channel;
        if (!channel.AutoReboot)
        {
            _notifier.Status("update installed; reboot to activate");
            return PollOutcome.Installed;
        }
        if (channel.RebootWindow is { } window && !window.Contains(_time.GetUtcNow()))
        {
            Note($"update installed; rebooting in the window {window}");
            return PollOutcome.Installed;
        }
        _log.Info("rebooting to activate the update");
        _notifier.Status("rebooting to activate the update");
        await _reporter.FlushAsync(TimeSpan.FromSeconds(5), _time).ConfigureAwait(false);
        await _rebooter.RebootAsync(cancellationToken).ConfigureAwait(false);
        return PollOutcome.Rebooted;
    }

    /// <summary>The poll interval plus jitter, doubled per consecutive failure up to 8 times the interval.</summary>
    private TimeSpan NextDelay(TimeSpan interval, TimeSpan jitter, int failures) =>
        (interval * (1 << Math.Clamp(failures - 1, 0, 3))) + (jitter * _random.NextDouble());

    /// <summary>
    /// The wait between polls. With a watchdog it is cut into slices of half its interval, each ending in a ping:
    /// an agent asleep until its next poll is working as meant. Without one, a single timer.
    /// </summary>
    private async Task SleepAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var remaining = delay;
        while (remaining > TimeSpan.Zero)
        {
            var step = _watchdog.SleepSlice is { } slice && slice < remaining ? slice : remaining;
            await Task.Delay(step, _time, cancellationToken).ConfigureAwait(false);
            remaining -= step;
            _watchdog.Alive();
        }
    }

    /// <summary>Logs a state line once, not on every poll while nothing changes.</summary>
    private void Note(string reason)
    {
        if (reason != _lastReason)
        {
            _log.Info(reason);
            _lastReason = reason;
        }
    }

    /// <summary>The device for a report; null when it cannot be read now (the poll that follows says why).</summary>
    private async Task<DeviceState?> TryReadDeviceAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _client.Device.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (UpdaterException)
        {
            return null;
        }
    }
}
