// SPDX-License-Identifier: Apache-2.0
using Updater.Install;

namespace Updater.DBus;

/// <summary>
/// Install progress into the Progress property, paced: every whole percent, a phase change, or a second since
/// the last, whichever comes first. A chunk reports many times a second; a bus signal for each would cost more
/// than the write.
/// </summary>
internal sealed class BusProgress : IProgress<InstallProgress>
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly OperationState _state;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private InstallProgressView? _last;
    private long _lastAt;

    public BusProgress(OperationState state, TimeProvider time)
    {
        _state = state;
        _time = time;
    }

    public void Report(InstallProgress value)
    {
        var view = InstallProgressView.Of(value);
        lock (_gate)
        {
            bool due = _last is not { } last || last.Percent != view.Percent || last.Phase != view.Phase
                || _time.GetElapsedTime(_lastAt) >= Interval || view.Done >= view.Total;
            if (!due || _last == view)
            {
                return;
            }
            _last = view;
            _lastAt = _time.GetTimestamp();
        }
        _state.Report(view);
    }
}
