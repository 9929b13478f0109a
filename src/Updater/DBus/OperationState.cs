// SPDX-License-Identifier: Apache-2.0
using Updater.Install;

namespace Updater.DBus;

/// <summary>
/// What the service is doing, which the D-Bus properties show: the operation running (one at a time), the
/// progress of the running or last install, and the last failure. Each change is handed to
/// <see cref="Changed"/> with the names of the properties it touched, for PropertiesChanged.
/// </summary>
internal sealed class OperationState
{
    public const string Idle = "idle";

    private readonly object _gate = new();
    private string _operation = Idle;
    private InstallProgressView _progress = new(0, "", 0, 0);
    private string _lastError = "";

    /// <summary>Called outside the lock with the properties that changed.</summary>
    public event Action<IReadOnlyList<string>>? Changed;

    public string Operation
    {
        get { lock (_gate) { return _operation; } }
    }

    public InstallProgressView Progress
    {
        get { lock (_gate) { return _progress; } }
    }

    public string LastError
    {
        get { lock (_gate) { return _lastError; } }
    }

    /// <summary>Starts <paramref name="operation"/> unless one is running; false when the caller must say Busy.</summary>
    public bool TryBegin(string operation)
    {
        lock (_gate)
        {
            if (_operation != Idle)
            {
                return false;
            }
            _operation = operation;
        }
        Changed?.Invoke([nameof(Operation)]);
        return true;
    }

    /// <summary>The running operation ended: failed with <paramref name="error"/>, or succeeded (null).</summary>
    public void End(string? error)
    {
        lock (_gate)
        {
            _operation = Idle;
            _lastError = error ?? "";
        }
        Changed?.Invoke([nameof(Operation), nameof(LastError)]);
    }

    public void Report(InstallProgressView progress)
    {
        lock (_gate)
        {
            _progress = progress;
        }
        Changed?.Invoke([nameof(Progress)]);
    }
}

/// <summary>The Progress property: (percent, phase, bytes done, bytes total).</summary>
internal readonly record struct InstallProgressView(int Percent, string Phase, long Done, long Total)
{
    public static InstallProgressView Of(InstallProgress p) =>
        new(p.Total == 0 ? 100 : (int)Math.Clamp(p.Done * 100 / p.Total, 0, 100), p.Phase, p.Done, p.Total);
}
