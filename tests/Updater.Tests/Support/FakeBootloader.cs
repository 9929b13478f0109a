// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;

namespace Updater.Tests.Support;

/// <summary>
/// An in-memory stand-in for our own bootloader interface, for tests about the install pipeline's logic.
/// It records every call in order, so tests can assert "marked bad before the first write" and "activated last".
/// Thread-safe: the daemon reads it while an install writes it.
/// </summary>
internal sealed class FakeBootloader : IBootloader
{
    private readonly Dictionary<string, SlotBootState> _slots;
    private readonly object _gate = new();
    private List<string> _order;

    public FakeBootloader(string primary = "A", string other = "B")
    {
        _slots = new()
        {
            [primary] = new SlotBootState(primary, true, SlotBootState.Uncounted, false),
            [other] = new SlotBootState(other, true, SlotBootState.Uncounted, false),
        };
        _order = [primary, other];
    }

    public List<string> Calls { get; } = [];

    /// <summary>
    /// The environment's other variables (the committed security floor): what ReadStateAsync reports as
    /// BootState.Variables. A test may set one directly, e.g. a floor a wiped state directory cannot reach.
    /// </summary>
    public Dictionary<string, string> Variables { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs before each state-changing call: tests use it to observe the disk at that moment.</summary>
    public Action<string>? BeforeCall { get; set; }

    public string Name => "fake";

    public Task<BootState> ReadStateAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(new BootState(_order.ToList(), _slots.Values.ToList(), new Dictionary<string, string>(Variables, StringComparer.Ordinal)));
        }
    }

    public Task ActivateAsync(string bootname, BootActivation activation, CancellationToken cancellationToken) =>
        ActivateAsync(bootname, activation, null, cancellationToken);

    public Task ActivateAsync(string bootname, BootActivation activation, long? securityFloor, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            RaiseFloor(securityFloor);
            Record($"activate {bootname} {activation}{FloorSuffix(securityFloor)}");
            _slots[bootname] = activation == BootActivation.Trial
                ? new SlotBootState(bootname, true, 1, true)
                : new SlotBootState(bootname, true, SlotBootState.Uncounted, false);
            _order = [bootname, .. _order.Where(b => b != bootname)];
        }
        return Task.CompletedTask;
    }

    public Task MarkGoodAsync(string bootname, CancellationToken cancellationToken) => MarkGoodAsync(bootname, null, cancellationToken);

    public Task MarkGoodAsync(string bootname, long? securityFloor, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            RaiseFloor(securityFloor);
            Record($"good {bootname}{FloorSuffix(securityFloor)}");
            _slots[bootname] = new SlotBootState(bootname, true, SlotBootState.Uncounted, false);
        }
        return Task.CompletedTask;
    }

    public Task MarkBadAsync(string bootname, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Record($"bad {bootname}");
            _slots[bootname] = new SlotBootState(bootname, false, 0, false);
        }
        return Task.CompletedTask;
    }

    /// <summary>As EnvironmentBootloader does it: the larger of the two, a malformed held value refused before any change.</summary>
    private void RaiseFloor(long? floor)
    {
        if (floor is { } raise)
        {
            long? held = SecurityFloorVariable.Read(Variables, "fake environment");
            Variables[SecurityFloorVariable.Name] = SecurityFloorVariable.Format(Math.Max(held ?? 0, raise));
        }
    }

    private static string FloorSuffix(long? floor) => floor is null ? "" : $" floor {floor}";

    private void Record(string call)
    {
        BeforeCall?.Invoke(call);
        Calls.Add(call);
    }
}
