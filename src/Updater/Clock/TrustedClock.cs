// SPDX-License-Identifier: Apache-2.0
using Updater.State;

namespace Updater.Clock;

/// <summary>
/// The device's "now" for everything signed documents bound in time (channel expiry, rollout waves): never earlier
/// than the newest signed time the device has accepted, so a clock set back (a dead RTC battery, a forged NTP
/// answer, a device that boots in 1970) cannot make an expired, replayed file look fresh again.
/// <list type="bullet">
/// <item><see cref="Read"/> (or <see cref="GetUtcNow"/>): with [system] clock = wall (the default), the larger of the
/// device clock and the newest signed time; with clock = signed, the newest signed time alone. The reading says when
/// it is not the device clock (<see cref="ClockReading.Correction"/>), for `updater check`, status and the log.</item>
/// <item><see cref="ObserveAsync"/>(time, source): a time from a document whose signature verified and that the
/// device accepted (a channel's <c>issued</c>; root document and bundle <c>created</c> times are to be wired here).
/// Persisted in the state directory (clock.json, atomically, raised only), so it holds after a reboot. Call it only
/// once the document is accepted: a refused document must change nothing.</item>
/// <item><see cref="AddFloor"/>(time, source): a floor for this process only, known again at every start without
/// being stored, e.g. the running image's build time from a file the image ships.</item>
/// </list>
/// A clock ahead is not corrected (no signed time says how far): errors that depend on it name the device clock.
/// The device clock itself comes from the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class TrustedClock
{
    /// <summary>Sources are our own words; bounded anyway, a state file stays small.</summary>
    private const int MaxSourceLength = 200;

    private readonly StateDirectory _state;
    private readonly TimeProvider _wall;
    private readonly object _gate = new();
    private SignedTimeRecord? _floor;

    public TrustedClock(StateDirectory state, TimeProvider wall, ClockMode mode)
    {
        _state = state;
        _wall = wall;
        Mode = mode;
    }

    public ClockMode Mode { get; }

    /// <summary>"Now": the device clock raised to the newest signed time (or that time alone, clock = signed).</summary>
    public DateTimeOffset GetUtcNow() => Read().Now;

    /// <summary>"Now" with where it came from. Reads clock.json each time: another process may have raised it.</summary>
    /// <exception cref="UpdaterException">clock.json is unreadable or corrupt (exit 5, naming the file).</exception>
    public ClockReading Read()
    {
        var wall = _wall.GetUtcNow();
        SignedTimeRecord? newest = Newer(_state.ReadSignedTime(), Floor);
        var now = Mode == ClockMode.Signed
            ? newest?.Time ?? DateTimeOffset.UnixEpoch
            : newest is { } n && n.Time > wall ? n.Time : wall;
        return new ClockReading(now, wall, newest, Mode);
    }

    /// <summary>
    /// Records a signed time the device accepted; "now" never falls below it again, across restarts. An older time
    /// than the one stored changes nothing.
    /// </summary>
    public async Task ObserveAsync(DateTimeOffset time, string source, CancellationToken cancellationToken)
    {
        var stored = _state.ReadSignedTime();
        if (stored is not null && stored.Time >= time)
        {
            return;
        }
        await _state.WriteSignedTimeAsync(new SignedTimeRecord { Time = time.ToUniversalTime(), Source = Bound(source) }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A signed time for this process only (not stored): e.g. the running image's build time.</summary>
    public void AddFloor(DateTimeOffset time, string source)
    {
        lock (_gate)
        {
            _floor = Newer(_floor, new SignedTimeRecord { Time = time.ToUniversalTime(), Source = Bound(source) });
        }
    }

    private SignedTimeRecord? Floor
    {
        get
        {
            lock (_gate)
            {
                return _floor;
            }
        }
    }

    private static SignedTimeRecord? Newer(SignedTimeRecord? a, SignedTimeRecord? b) =>
        a is null ? b : b is null ? a : b.Time > a.Time ? b : a;

    private static string Bound(string source) => source.Length <= MaxSourceLength ? source : source[..MaxSourceLength];
}
