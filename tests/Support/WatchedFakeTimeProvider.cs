// SPDX-License-Identifier: Apache-2.0
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace TestSupport;

/// <summary>
/// A fake clock that also tells which timers the code under test arms. A test waits for the next armed timer
/// (the runner has reached its next wait), checks its due time (the deadline or backoff it expects) and then
/// advances exactly that far: deadlines and retries are tested without real waiting and without racing the
/// code's own continuations.
/// </summary>
public sealed class WatchedFakeTimeProvider : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _armed = Channel.CreateUnbounded<TimeSpan>();

    /// <summary>Starts where FakeTimeProvider does (2000-01-01 UTC): for tests to which the date means nothing.</summary>
    public WatchedFakeTimeProvider()
    {
    }

    /// <summary>Starts at <paramref name="start"/>: for tests whose channel files, waves or windows are dated.</summary>
    public WatchedFakeTimeProvider(DateTimeOffset start)
        : base(start)
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new WatchedTimer(base.CreateTimer(callback, state, dueTime, period), this);
        Armed(dueTime);
        return timer;
    }

    /// <summary>The due time of the next timer armed (created or changed to a finite due time).</summary>
    public async Task<TimeSpan> NextArmedTimerAsync()
    {
        // Real time bounds only a broken test; a healthy one gets its timer within milliseconds.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await _armed.Reader.ReadAsync(cancel.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until a timer of exactly <paramref name="dueTime"/> is armed, passing over others (HTTP timeouts,
    /// grace periods): for code that arms several timers per step, where the test cares about one of them.
    /// </summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime)
    {
        var passedOver = new List<TimeSpan>();
        try
        {
            TimeSpan due;
            while ((due = await NextArmedTimerAsync().ConfigureAwait(false)) != dueTime)
            {
                passedOver.Add(due);
            }
        }
        catch (OperationCanceledException)
        {
            // Name what was armed instead: the usual failure is the code waiting for another time than expected.
            throw new TimeoutException($"no timer of {dueTime} was armed; meanwhile armed: {(passedOver.Count == 0 ? "none" : string.Join(", ", passedOver))}");
        }
    }

    /// <summary>Waits for the next armed timer, asserts its due time, and advances the clock by it.</summary>
    public async Task AdvanceToNextTimerAsync(TimeSpan expectedDueTime)
    {
        var due = await NextArmedTimerAsync().ConfigureAwait(false);
        Assert.Equal(expectedDueTime, due);
        Advance(due);
    }

    private void Armed(TimeSpan dueTime)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            _armed.Writer.TryWrite(dueTime);
        }
    }

    private sealed class WatchedTimer(ITimer inner, WatchedFakeTimeProvider clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = inner.Change(dueTime, period);
            clock.Armed(dueTime);
            return changed;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
