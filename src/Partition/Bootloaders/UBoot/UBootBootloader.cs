using System.Globalization;

namespace Partition.Bootloaders.UBoot;

/// <summary>
/// The U-Boot backend: reads and writes the environment fw_printenv/fw_setenv and dist/boot.cmd use, with
/// BOOT_ORDER, BOOT_x_LEFT and BOOT_x_TRIAL (see <see cref="UBootBootRule"/>). Every change is one atomic write
/// (see <see cref="UBootEnvStore"/>).
/// </summary>
public sealed class UBootBootloader : IBootloader
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly UBootEnvStore _store;

    public UBootBootloader(UBootOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TrialTries is < 1 or > UBootOptions.MaxTrialTries)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.TrialTries, $"trial tries must be 1-{UBootOptions.MaxTrialTries}");
        }

        if (options.Size <= UBootEnvCopy.HeaderSize(options.Redundant) + 1 || options.Offset < 0 || options.RedundantOffset < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "the environment's size and offsets do not describe a usable region");
        }

        if (options.RedundantOffset is { } second && Math.Abs(second - options.Offset) < options.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "the two copies of the redundant environment overlap");
        }

        Options = options;
        _store = new UBootEnvStore(options);
    }

    public string Name => "uboot";

    public UBootOptions Options { get; }

    /// <summary>
    /// Writers lock the directory holding the file or device node: a single-copy file is replaced by rename, and
    /// .NET itself takes flock locks on the files it opens, so the file or device cannot be the lock.
    /// </summary>
    internal string LockPath => Path.GetDirectoryName(Path.GetFullPath(Options.Device)) ?? "/";

    /// <summary>Crash injection for the torn-write tests; null in production.</summary>
    internal PowerCut? PowerCut { get; set; }

    public async Task<BootState> ReadStateAsync(CancellationToken cancellationToken)
    {
        var snapshot = await _store.ReadAsync(cancellationToken).ConfigureAwait(false);
        return StateOf(snapshot.Variables);
    }

    public Task ActivateAsync(string bootname, BootActivation activation, CancellationToken cancellationToken) =>
        ChangeAsync(bootname, env =>
        {
            var order = UBootBootRule.SplitOrder(UBootBootRule.Effective(env)[UBootBootRule.Order]).Where(UBootBootRule.Slots.Contains).ToList();
            order.Remove(bootname);
            order.Insert(0, bootname);
            order.AddRange(UBootBootRule.Slots.Where(s => !order.Contains(s)));
            env[UBootBootRule.Order] = string.Join(' ', order.Distinct());
            SetSlot(env, bootname, Options.TrialTries, trial: activation == BootActivation.Trial);
        }, cancellationToken);

    public Task MarkGoodAsync(string bootname, CancellationToken cancellationToken) =>
        ChangeAsync(bootname, env => SetSlot(env, bootname, Options.TrialTries, trial: false), cancellationToken);

    public Task MarkBadAsync(string bootname, CancellationToken cancellationToken) =>
        ChangeAsync(bootname, env => SetSlot(env, bootname, 0, trial: false), cancellationToken);

    internal static BootState StateOf(IReadOnlyDictionary<string, string> variables) =>
        new(
            UBootBootRule.SplitOrder(UBootBootRule.Effective(variables)[UBootBootRule.Order]),
            UBootBootRule.Slots.Select(slot => UBootBootRule.SlotState(variables, slot)).ToList(),
            variables);

    /// <summary>A committed slot keeps BOOT_x_LEFT at the trial count (as RAUC's tools show it); boot.cmd does not decrement it.</summary>
    private static void SetSlot(Dictionary<string, string> env, string slot, int left, bool trial)
    {
        env[UBootBootRule.Left(slot)] = left.ToString(CultureInfo.InvariantCulture);
        env[UBootBootRule.Trial(slot)] = trial ? "1" : "0";
    }

    private async Task ChangeAsync(string bootname, Action<Dictionary<string, string>> change, CancellationToken cancellationToken)
    {
        if (!UBootBootRule.Slots.Contains(bootname))
        {
            throw new ArgumentException($"dist/boot.cmd boots slots {string.Join(" and ", UBootBootRule.Slots)}; there is no slot \"{bootname}\"", nameof(bootname));
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var processLock = await EnvironmentLock.AcquireAsync(LockPath, cancellationToken).ConfigureAwait(false);
            var snapshot = await _store.ReadAsync(cancellationToken).ConfigureAwait(false);
            // Every write spells out all of boot.cmd's variables: fw_printenv then shows the whole state, and the
            // environment is never "fresh" to boot.cmd (which would save its defaults over a BOOT_ORDER-less one).
            var env = UBootBootRule.Effective(snapshot.Variables);
            change(env);
            bool unchanged = env.Count == snapshot.Variables.Count
                && env.All(v => snapshot.Variables.TryGetValue(v.Key, out var old) && old == v.Value);
            if (!unchanged)
            {
                await _store.WriteAsync(snapshot, env, PowerCut, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
