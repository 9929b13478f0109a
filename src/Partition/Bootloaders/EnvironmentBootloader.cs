// SPDX-License-Identifier: Apache-2.0
using System.Text;

namespace Partition.Bootloaders;

/// <summary>
/// What every backend whose boot script keeps its state in name=value variables shares, as template methods (the
/// NSec pattern: the public verbs validate and lock, the backend does only its own work). A change validates the
/// bootname, takes the in-process lock and the cross-process <see cref="EnvironmentLock"/>, reads the environment,
/// fills in the boot script's defaults, applies the change, and writes, atomically, only when a variable differs.
/// A backend supplies its store (<see cref="ReadEnvironmentAsync"/>, <see cref="WriteEnvironmentAsync"/>) and its
/// per-variable rules (<see cref="Effective"/>, <see cref="SlotState"/>, <see cref="SetSlot"/>).
/// </summary>
public abstract class EnvironmentBootloader : IBootloader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Serializes this object's own changes; the file lock alone would make them poll for each other.</summary>
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    private protected EnvironmentBootloader(int trialTries, int maxTrialTries)
    {
        if (trialTries < 1 || trialTries > maxTrialTries)
        {
            throw new ArgumentOutOfRangeException(nameof(trialTries), trialTries, $"trial tries must be 1-{maxTrialTries}");
        }

        TrialTries = trialTries;
    }

    /// <summary>The bootnames the boot scripts in dist/ boot, in their default order; backends refuse others.</summary>
    public static IReadOnlyList<string> SupportedBootnames { get; } = ["A", "B"];

    public abstract string Name { get; }

    /// <summary>
    /// What writers of this environment lock (see <see cref="EnvironmentLock"/>): a lock file beside it, or for an
    /// environment in a file system that holds no files of ours (efivarfs) the directory itself.
    /// </summary>
    internal virtual string LockPath => EnvironmentLock.PathFor(EnvironmentPath);

    /// <summary>Boots a trial gets before the boot script falls back.</summary>
    private protected int TrialTries { get; }

    /// <summary>The file or device holding the environment.</summary>
    private protected abstract string EnvironmentPath { get; }

    /// <summary>The boot script whose rule the backend follows, for messages: "dist/grub.cfg".</summary>
    private protected abstract string BootScript { get; }

    /// <summary>The variable holding the boot order: bootnames separated by blanks, first tried first.</summary>
    private protected abstract string OrderVariable { get; }

    public async Task<BootState> ReadStateAsync(CancellationToken cancellationToken)
    {
        var snapshot = await ReadEnvironmentAsync(cancellationToken).ConfigureAwait(false);
        return StateOf(snapshot.Variables);
    }

    public Task ActivateAsync(string bootname, BootActivation activation, CancellationToken cancellationToken) =>
        ActivateAsync(bootname, activation, null, cancellationToken);

    public Task ActivateAsync(string bootname, BootActivation activation, long? securityFloor, CancellationToken cancellationToken) =>
        ChangeAsync(bootname, env =>
        {
            env[OrderVariable] = string.Join(' ', OrderStartingWith(SplitOrder(env[OrderVariable]), bootname));
            SetSlot(env, bootname, activation == BootActivation.Trial ? SlotMark.Trial : SlotMark.Committed);
        }, securityFloor, cancellationToken);

    public Task MarkGoodAsync(string bootname, CancellationToken cancellationToken) =>
        MarkGoodAsync(bootname, null, cancellationToken);

    public Task MarkGoodAsync(string bootname, long? securityFloor, CancellationToken cancellationToken) =>
        ChangeAsync(bootname, env => SetSlot(env, bootname, SlotMark.Committed), securityFloor, cancellationToken);

    public Task MarkBadAsync(string bootname, CancellationToken cancellationToken) =>
        ChangeAsync(bootname, env => SetSlot(env, bootname, SlotMark.Bad), null, cancellationToken);

    /// <summary>The boot order as the scripts' `for ... in` splits it.</summary>
    public static IReadOnlyList<string> SplitOrder(string order)
    {
        ArgumentNullException.ThrowIfNull(order);
        return order.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>What the boot script makes of <paramref name="variables"/>: order, and per slot good, tries and trial.</summary>
    internal BootState StateOf(IReadOnlyDictionary<string, string> variables) =>
        new(
            SplitOrder(Effective(variables)[OrderVariable]),
            SupportedBootnames.Select(bootname => SlotState(variables, bootname)).ToList(),
            variables)
        {
            ReportedBoot = ReportedBoot(variables),
            Problems = Problems(variables),
        };

    /// <summary>What the bootloader would do otherwise than <paramref name="variables"/> say (<see cref="BootState.Problems"/>).</summary>
    private protected virtual IReadOnlyList<string> Problems(IReadOnlyDictionary<string, string> variables) => [];

    /// <summary>The slot the bootloader reports it started, when it reports one (<see cref="BootState.ReportedBoot"/>).</summary>
    private protected virtual string? ReportedBoot(IReadOnlyDictionary<string, string> variables) => null;

    /// <summary>
    /// Decodes environment text strictly: a byte sequence that is not UTF-8 is an error naming the offset, never a
    /// replacement character that would then be written back over the operator's bytes.
    /// </summary>
    internal static string DecodeUtf8(ReadOnlySpan<byte> bytes, string path, long offset)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new BootEnvironmentException(path, offset, "text is not valid UTF-8");
        }
    }

    /// <summary>Reads the environment as it is on disk; what the backend needs to write its next version rides along.</summary>
    private protected abstract Task<EnvironmentSnapshot> ReadEnvironmentAsync(CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="variables"/> (all of them) atomically as the successor of <paramref name="current"/>.</summary>
    private protected abstract Task WriteEnvironmentAsync(EnvironmentSnapshot current, IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken);

    /// <summary>The boot script's variables as it sees them: what the environment holds, its defaults for the rest.</summary>
    private protected abstract Dictionary<string, string> Effective(IReadOnlyDictionary<string, string> variables);

    /// <summary>The slot's state by the boot script's rule: Bootable exactly when the script would boot it if it came first.</summary>
    private protected abstract SlotBootState SlotState(IReadOnlyDictionary<string, string> variables, string bootname);

    /// <summary>Sets the slot's variables so that the boot script treats it as <paramref name="mark"/> says.</summary>
    private protected abstract void SetSlot(Dictionary<string, string> env, string bootname, SlotMark mark);

    /// <summary>
    /// <paramref name="first"/>, then the others in the order they stood, then any the order lacked, so the fallback
    /// is always there; names the scripts do not boot are dropped.
    /// </summary>
    private static List<string> OrderStartingWith(IReadOnlyList<string> order, string first)
    {
        var result = new List<string> { first };
        result.AddRange(order.Where(bootname => bootname != first && SupportedBootnames.Contains(bootname)));
        result.AddRange(SupportedBootnames.Where(bootname => !result.Contains(bootname)));
        return result.Distinct().ToList();
    }

    private static bool SameVariables(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && b.All(v => a.TryGetValue(v.Key, out var value) && value == v.Value);

    /// <param name="securityFloor">Raise <see cref="SecurityFloorVariable"/> to at least this, in the same write; null leaves it.</param>
    private async Task ChangeAsync(string bootname, Action<Dictionary<string, string>> change, long? securityFloor, CancellationToken cancellationToken)
    {
        if (securityFloor is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(securityFloor), securityFloor, "a security floor is not negative");
        }
        if (!SupportedBootnames.Contains(bootname))
        {
            throw new ArgumentException($"{BootScript} boots slots {string.Join(" and ", SupportedBootnames)}; there is no slot \"{bootname}\"", nameof(bootname));
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var processLock = await EnvironmentLock.AcquireAsync(EnvironmentPath, LockPath, cancellationToken).ConfigureAwait(false);
            var current = await ReadEnvironmentAsync(cancellationToken).ConfigureAwait(false);

            // Every write spells out all of the script's variables (its defaults filled in), so the bootloader's
            // own listing tool shows the whole state, and the script never finds the environment "fresh".
            var env = Effective(current.Variables);
            change(env);
            var next = new Dictionary<string, string>(current.Variables, StringComparer.Ordinal);
            foreach (var (name, value) in env)
            {
                next[name] = value;
            }
            if (securityFloor is { } floor)
            {
                // Read strictly first: a malformed floor is refused before anything is written, never overwritten
                // by a value that might be lower than what it meant.
                long? held = SecurityFloorVariable.Read(current.Variables, EnvironmentPath);
                next[SecurityFloorVariable.Name] = SecurityFloorVariable.Format(Math.Max(held ?? 0, floor));
            }

            // Compare before write: a change that changes nothing (a second mark-good) costs no write, which on an
            // ESP or an eMMC boot partition is wear and one more moment a power cut could strike.
            if (!SameVariables(current.Variables, next))
            {
                await WriteEnvironmentAsync(current, next, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
