// SPDX-License-Identifier: Apache-2.0
using Updater.Install;

namespace Updater.Daemon;

/// <summary>
/// systemd's watchdog fed by the daemon's own progress, never by a timer of its own: the poll loop pings when it
/// finishes a step or sleeps between polls, an install pings as its bytes move. A poll that hangs (a stalled
/// server past every deadline, a stuck device, a deadlock) stops the pings, and after WatchdogSec systemd
/// kills and restarts the agent, which is the point of having a watchdog. Pings are paced to a quarter of
/// the interval: an install reports every chunk, and each ping is a datagram PID 1 has to handle.
/// </summary>
internal sealed class ProgressWatchdog : IProgress<InstallProgress>
{
    private readonly SystemdNotifier _notifier;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private long? _lastPing;
    private long _lastDone = -1;

    /// <param name="interval">WatchdogSec as systemd passed it ($WATCHDOG_USEC); null: no watchdog, no pings.</param>
    public ProgressWatchdog(SystemdNotifier notifier, TimeSpan? interval, TimeProvider time)
    {
        _notifier = notifier;
        Interval = interval;
        _time = time;
    }

    public TimeSpan? Interval { get; }

    /// <summary>The longest the loop may sleep between two pings: half the interval, as sd_watchdog_enabled(3) advises.</summary>
    public TimeSpan? SleepSlice => Interval / 2;

    /// <summary>The loop made progress (a poll ended, a slice of the wait between polls passed): ping.</summary>
    public void Alive() => Ping(force: true);

    /// <summary>An install moved bytes, or a hook runs within its deadline: a ping, paced. Any other report without new bytes is not progress.</summary>
    public void Report(InstallProgress value)
    {
        lock (_gate)
        {
            // A hook bounded by its own deadline is progress although no byte moves; its deadline is the watchdog.
            if (value.Done == _lastDone && value.Phase != InstallProgress.HookPhase)
            {
                return;
            }
            _lastDone = value.Done;
        }
        Ping(force: false);
    }

    private void Ping(bool force)
    {
        if (Interval is not { } interval)
        {
            return;
        }
        lock (_gate)
        {
            long now = _time.GetTimestamp();
            if (!force && _lastPing is { } last && _time.GetElapsedTime(last, now) < interval / 4)
            {
                return;
            }
            _lastPing = now;
        }
        _notifier.Watchdog();
    }
}
