// SPDX-License-Identifier: Apache-2.0
using Updater.Bundles;

namespace Updater.Tests.Bundles;

/// <summary>
/// The ordered parallel loop that install and `bundle create` share: results are consumed in submission order
/// however the work finishes, a failure or a cancellation stops everything, and every slot is freed once, only
/// after no work uses it any more (the slots of an install hold native buffers).
/// </summary>
public class OrderedPipelineTests
{
    /// <summary>Counts allocations and frees, and catches a slot freed while its work still runs.</summary>
    private sealed class Ledger
    {
        private int _allocated;
        private int _freed;

        public int Allocated => _allocated;

        public int Freed => _freed;

        public int FreedWhileInUse { get; private set; }

        public Slot Allocate()
        {
            Interlocked.Increment(ref _allocated);
            return new Slot();
        }

        public void Free(Slot slot)
        {
            if (slot.Freed)
            {
                throw new InvalidOperationException("freed twice");
            }
            if (slot.InUse)
            {
                FreedWhileInUse++;
            }
            slot.Freed = true;
            Interlocked.Increment(ref _freed);
        }

        public void Work(Slot slot, int sleepMs, bool fail, Action? meanwhile = null)
        {
            slot.InUse = true;
            try
            {
                Thread.Sleep(sleepMs);
                meanwhile?.Invoke();
                if (fail)
                {
                    throw new InvalidDataException($"item {slot.Item} is bad");
                }
                slot.Result = slot.Item * 10;
            }
            finally
            {
                slot.InUse = false;
            }
        }
    }

    private sealed class Slot
    {
        public int Item { get; set; }

        public int Result { get; set; }

        public bool Freed { get; set; }

        /// <summary>Its work is running: a free now would pull the buffer from under a decode.</summary>
        public volatile bool InUse;
    }

    [Fact]
    public async Task Results_come_out_in_submission_order_whatever_order_the_work_finishes_in()
    {
        var ledger = new Ledger();
        var random = new Random(5);
        var delays = Enumerable.Range(0, 200).Select(_ => random.Next(0, 4)).ToArray();
        var pipeline = new OrderedPipeline<Slot>(8, ledger.Allocate, s => ledger.Work(s, delays[s.Item], fail: false), ledger.Free);
        var seen = new List<(int Item, int Result)>();

        await pipeline.RunAsync(
            async (p, ct) =>
            {
                for (int i = 0; i < delays.Length; i++)
                {
                    var slot = p.Rent();
                    slot.Item = i;
                    await p.SubmitAsync(slot);
                }
            },
            (slot, ct) =>
            {
                seen.Add((slot.Item, slot.Result));
                return ValueTask.CompletedTask;
            },
            CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, delays.Length).Select(i => (i, i * 10)), seen);
        Assert.InRange(ledger.Allocated, 1, 8 + 3);
        Assert.Equal(ledger.Allocated, ledger.Freed);
    }

    [Fact]
    public async Task A_failing_item_fails_the_run_and_every_slot_is_freed_after_its_work_ended()
    {
        var ledger = new Ledger();
        // Item 3 fails only while item 4, queued behind it, is still working: item 4 goes on for 200 ms after
        // the failure, so its slot is in use when the run fails (whatever order the thread pool runs them in).
        using var fourStarted = new ManualResetEventSlim();
        using var threeFailed = new ManualResetEventSlim();
        var pipeline = new OrderedPipeline<Slot>(6, ledger.Allocate, s =>
        {
            if (s.Item == 3)
            {
                Assert.True(fourStarted.Wait(TimeSpan.FromSeconds(10)));
                threeFailed.Set();
            }
            ledger.Work(s, 0, fail: s.Item == 3, s.Item != 4 ? null : () =>
            {
                fourStarted.Set();
                threeFailed.Wait(TimeSpan.FromSeconds(10));
                Thread.Sleep(200);
            });
        }, ledger.Free);
        var consumed = new List<int>();

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => pipeline.RunAsync(
            async (p, ct) =>
            {
                for (int i = 0; i < 1000; i++)
                {
                    var slot = p.Rent();
                    slot.Item = i;
                    await p.SubmitAsync(slot);
                }
            },
            (slot, ct) =>
            {
                consumed.Add(slot.Item);
                return ValueTask.CompletedTask;
            },
            CancellationToken.None));

        Assert.Equal("item 3 is bad", error.Message);
        Assert.Equal([0, 1, 2], consumed);
        Assert.True(ledger.Allocated > 4, $"the test needs work in flight behind the failure; {ledger.Allocated} slots were allocated");
        Assert.Equal(ledger.Allocated, ledger.Freed);
        Assert.Equal(0, ledger.FreedWhileInUse);
    }

    [Fact]
    public async Task Cancelling_stops_the_producer_and_frees_every_slot()
    {
        var ledger = new Ledger();
        var pipeline = new OrderedPipeline<Slot>(4, ledger.Allocate, s => ledger.Work(s, 1, fail: false), ledger.Free);
        using var cts = new CancellationTokenSource();
        int produced = 0;

        var run = pipeline.RunAsync(
            async (p, ct) =>
            {
                // An endless source: only the cancellation ends it.
                for (int i = 0; ; i++)
                {
                    var slot = p.Rent();
                    slot.Item = i;
                    Interlocked.Increment(ref produced);
                    await p.SubmitAsync(slot);
                }
            },
            (slot, ct) =>
            {
                if (slot.Item == 20)
                {
                    cts.Cancel();
                }
                return ValueTask.CompletedTask;
            },
            cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(10)));
        int atReturn = Volatile.Read(ref produced);
        await Task.Delay(100);
        Assert.Equal(atReturn, Volatile.Read(ref produced));
        Assert.InRange(atReturn, 21, 21 + 4 + 2);
        Assert.Equal(ledger.Allocated, ledger.Freed);
    }
}
