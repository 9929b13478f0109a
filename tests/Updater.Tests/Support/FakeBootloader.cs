using Partition.Bootloaders;

namespace Updater.Tests.Support;

/// <summary>An in-memory bootloader environment for logic tests: two slots, an order, tries, trial flags.</summary>
public sealed class FakeBootloader : IBootloader
{
    private readonly object _gate = new();
    private readonly Dictionary<string, (bool Good, int Tries, bool Trial)> _slots = new(StringComparer.Ordinal)
    {
        ["A"] = (true, 3, false),
        ["B"] = (true, 3, false),
    };
    private List<string> _order = ["A", "B"];

    public string Name => "fake";

    public List<string> Calls { get; } = [];

    public Task<BootState> ReadStateAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var slots = _slots.Select(s => new SlotBootState(s.Key, s.Value.Good, s.Value.Tries, s.Value.Trial)).ToList();
            return Task.FromResult(new BootState(_order.ToList(), slots, new Dictionary<string, string>()));
        }
    }

    public Task ActivateAsync(string bootname, BootActivation activation, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Calls.Add($"activate {bootname} {activation}");
            _slots[bootname] = (true, 3, activation == BootActivation.Trial);
            _order = [bootname, .. _order.Where(b => b != bootname)];
        }
        return Task.CompletedTask;
    }

    public Task MarkGoodAsync(string bootname, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Calls.Add($"mark-good {bootname}");
            _slots[bootname] = (true, 3, false);
        }
        return Task.CompletedTask;
    }

    public Task MarkBadAsync(string bootname, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Calls.Add($"mark-bad {bootname}");
            _slots[bootname] = (false, 0, false);
        }
        return Task.CompletedTask;
    }
}
