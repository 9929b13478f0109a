// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Updater.Bundles;

/// <summary>
/// The ordered parallel loop of an install (decode and verify chunks, write them to the slot) and of `bundle
/// create` (hash and compress chunks, write them to the bundle): one producer fills slots in order, the work
/// runs on the thread pool, one consumer takes the slots back strictly in the order they were submitted. At
/// most <c>capacity</c> submitted slots wait for the consumer, so memory stays flat whatever the image size.
/// <para>
/// When <see cref="RunAsync"/> ends — done, failed or cancelled — the producer has stopped, no work is still
/// running, and every slot ever allocated has been passed to <c>free</c> exactly once. That is what lets slots
/// hold native buffers: a chunk failing mid-flight neither leaks them (the daemon outlives a failed install)
/// nor frees one that a decode still writes into.
/// </para>
/// </summary>
/// <typeparam name="TSlot">The buffers and bookkeeping of one chunk in flight, reused from chunk to chunk.</typeparam>
internal sealed class OrderedPipeline<TSlot>
    where TSlot : class
{
    private readonly int _capacity;
    private readonly Func<TSlot> _allocate;
    private readonly Action<TSlot> _work;
    private readonly Action<TSlot> _free;
    private readonly ConcurrentBag<TSlot> _idle = [];
    private readonly ConcurrentQueue<TSlot> _allocated = new();
    private Channel<Task<TSlot>>? _queue;
    private CancellationToken _token;

    /// <param name="capacity">How many submitted slots may wait for the consumer.</param>
    /// <param name="allocate">Makes a new slot when no used one is free.</param>
    /// <param name="work">What runs on the thread pool for each submitted slot; an exception fails the run.</param>
    /// <param name="free">Releases a slot's buffers; called once per slot, after all work has ended.</param>
    public OrderedPipeline(int capacity, Func<TSlot> allocate, Action<TSlot> work, Action<TSlot> free)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _allocate = allocate;
        _work = work;
        _free = free;
    }

    /// <summary>For the producer: a slot to fill, one the consumer is done with or a new one.</summary>
    public TSlot Rent()
    {
        if (!_idle.TryTake(out var slot))
        {
            slot = _allocate();
            _allocated.Enqueue(slot);
        }
        return slot;
    }

    /// <summary>For the producer: starts the work on a filled slot and queues it; waits while the queue is full.</summary>
    public async ValueTask SubmitAsync(TSlot slot)
    {
        var queue = _queue ?? throw new InvalidOperationException("submit from inside RunAsync's producer");
        var job = Task.Run(() =>
        {
            _work(slot);
            return slot;
        }, _token);
        try
        {
            await queue.Writer.WriteAsync(job, _token).ConfigureAwait(false);
        }
        catch
        {
            // The job never reached the queue, so nobody else waits for it: it must end before its slot is freed.
            await AwaitQuietly(job).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="produce"/> (which calls <see cref="Rent"/> and <see cref="SubmitAsync"/>) against
    /// <paramref name="consume"/>, which sees each slot after its work, in submission order. The first failure
    /// anywhere cancels the rest and is rethrown. Once per instance.
    /// </summary>
    public async Task RunAsync(Func<OrderedPipeline<TSlot>, CancellationToken, Task> produce, Func<TSlot, CancellationToken, ValueTask> consume, CancellationToken cancellationToken)
    {
        if (_queue is not null)
        {
            throw new InvalidOperationException("an OrderedPipeline runs once");
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _token = cts.Token;
        var queue = _queue = Channel.CreateBounded<Task<TSlot>>(new BoundedChannelOptions(_capacity) { SingleReader = true, SingleWriter = true });
        // Not started with the token: a producer that never ran could not complete the queue, and the
        // cleanup below waits for it.
        var producer = Task.Run(async () =>
        {
            try
            {
                await produce(this, cts.Token).ConfigureAwait(false);
                queue.Writer.Complete();
            }
#pragma warning disable CA1031 // Handed to the consumer through the queue, which rethrows it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                queue.Writer.Complete(e);
            }
        }, CancellationToken.None);

        try
        {
            await foreach (var job in queue.Reader.ReadAllAsync(cts.Token).ConfigureAwait(false))
            {
                var slot = await job.ConfigureAwait(false);
                await consume(slot, cts.Token).ConfigureAwait(false);
                _idle.Add(slot);
            }
            await producer.ConfigureAwait(false);
        }
        catch
        {
            await cts.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
            // Work still running uses its slot: let it end before the slots are freed.
            while (queue.Reader.TryRead(out var pending))
            {
                await AwaitQuietly(pending).ConfigureAwait(false);
            }
            throw;
        }
        finally
        {
            _idle.Clear();
            while (_allocated.TryDequeue(out var slot))
            {
                _free(slot);
            }
        }
    }

    /// <summary>Waits for work whose result no longer matters (the run already failed).</summary>
    private static async Task AwaitQuietly(Task job)
    {
        try
        {
            await job.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The first failure is already on its way to the caller; this one only ends the job.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
