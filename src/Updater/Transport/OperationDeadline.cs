// SPDX-License-Identifier: Apache-2.0
namespace Updater.Transport;

/// <summary>
/// The end of one whole operation (a bundle transfer with every range, retry and resume), fixed when it
/// starts: nothing the server sends moves it. <see cref="Token"/> fires at the end, on the transport's clock.
/// </summary>
internal sealed class OperationDeadline : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly TimeProvider _time;

    public OperationDeadline(TimeSpan limit, TimeProvider time, string rule)
    {
        _time = time;
        Limit = limit;
        Rule = rule;
        End = time.GetUtcNow() + limit;
        _cts = new CancellationTokenSource(limit, time);
    }

    public TimeSpan Limit { get; }

    /// <summary>The update.conf key that sets it, for the message.</summary>
    public string Rule { get; }

    public DateTimeOffset End { get; }

    public CancellationToken Token => _cts.Token;

    public bool Passed => _cts.IsCancellationRequested || _time.GetUtcNow() >= End;

    public TimeSpan Left => End - _time.GetUtcNow();

    public string Describe() => $"the whole transfer's deadline of {Seconds(Limit)} ({Rule}) passed";

    internal static string Seconds(TimeSpan t) => t.TotalSeconds >= 1 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalMilliseconds:0} ms";

    public void Dispose() => _cts.Dispose();
}
