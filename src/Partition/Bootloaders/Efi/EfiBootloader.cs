// SPDX-License-Identifier: Apache-2.0
using Partition.Storage;

namespace Partition.Bootloaders.Efi;

/// <summary>
/// The efi backend: the firmware's own boot manager picks the slot, each slot being one boot option (Boot####)
/// that the integrator creates (efibootmgr --create). A trial is BootNext, which the firmware deletes before it
/// boots the option once, so any boot after it (a hang and a watchdog reset, a crash, a power cut) starts BootOrder's
/// first option again; a commit moves the slot's option to the front of BootOrder; a bad mark drops it from
/// BootOrder. See <see cref="EfiBootRule"/>.
///
/// BootNext is gone once the trial has booted, so the backend keeps which slot it sent on trial in a variable of
/// its own (UpdaterTrial): without it a trial the firmware fell back from would look like a slot marked bad, and
/// the rollback could not be told from a refusal. The committed security floor is another (UpdaterSecurityFloor).
/// Variables are written one at a time, each atomically, in an order that leaves every cut between two of them a
/// state that was meant: the floor first (raised to a version already verified, never lowered); the marker before
/// BootNext and BootOrder, and deleted after them. The one cut that reads as something that did not happen is the
/// one between the marker and BootNext of a trial activation: that reads as a trial that never got its boot, which
/// the next install clears (docs/bootloaders.md).
/// </summary>
public sealed class EfiBootloader : EnvironmentBootloader
{
    private const string OrderName = "ORDER";
    private const string Committed = "committed", Trial = "trial", Tried = "tried", Bad = "bad";

    private readonly DurableWriter _writer;

    public EfiBootloader(EfiOptions options)
        : this(options, DurableWriter.Instance)
    {
    }

    internal EfiBootloader(EfiOptions options, DurableWriter writer)
        : base(EfiOptions.TrialTries, EfiOptions.TrialTries)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BootA == options.BootB)
        {
            throw new ArgumentException($"slots A and B both name Boot{EfiBootNumbers.Format(options.BootA)}", nameof(options));
        }
        Options = options;
        _writer = writer;
    }

    public override string Name => "efi";

    public EfiOptions Options { get; }

    private protected override string EnvironmentPath => Options.EfiVariables;

    /// <summary>efivarfs holds only variables and sysfs above it is read-only: the variables' directory is the lock.</summary>
    internal override string LockPath => Options.EfiVariables;

    private protected override string BootScript => "the EFI boot manager";

    private protected override string OrderVariable => OrderName;

    /// <summary>The variable of <see cref="BootState.Variables"/> holding the slot's state word.</summary>
    public static string StateVariable(string bootname) => $"{bootname}_STATE";

    private protected override Task<EnvironmentSnapshot> ReadEnvironmentAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string directory = Options.EfiVariables;
        if (!Directory.Exists(directory))
        {
            throw new BootEnvironmentException(directory, null, "does not exist; is efivarfs mounted (mount -t efivarfs efivarfs /sys/firmware/efi/efivars), or did the device boot through legacy BIOS?");
        }
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);

        string orderPath = Options.GlobalPath("BootOrder");
        var order = EfiVariableStore.Read(orderPath, 4 + 2 * EfiBootNumbers.MaxOrderEntries) is { } orderBytes
            ? EfiBootNumbers.ParseOrder(orderBytes, orderPath)
            : [];
        string nextPath = Options.GlobalPath("BootNext");
        ushort? next = EfiVariableStore.Read(nextPath, 64) is { } nextBytes ? EfiBootNumbers.ParseOne(nextBytes, nextPath) : null;
        variables["BootOrder"] = EfiBootNumbers.FormatOrder(order);
        if (next is { } n)
        {
            variables["BootNext"] = EfiBootNumbers.Format(n);
        }
        // BootCurrent is the firmware's word on what it started: shown and compared, never written, never fatal.
        string currentPath = Options.GlobalPath("BootCurrent");
        try
        {
            if (EfiVariableStore.Read(currentPath, 64) is { } currentBytes)
            {
                variables["BootCurrent"] = EfiBootNumbers.Format(EfiBootNumbers.ParseOne(currentBytes, currentPath));
            }
        }
        catch (BootEnvironmentException e)
        {
            variables["BootCurrent"] = "unreadable: " + e.Message;
        }

        // The marker is ours but lives where anyone with root can write: a value that is no slot is shown and
        // treated as no marker; the next change overwrites or deletes it.
        string? marker = null;
        bool markerPresent = File.Exists(Options.TrialMarkerPath);
        try
        {
            string? value = EfiVariable.ReadString(Options.EfiVariables, "UpdaterTrial", EfiVariable.UpdaterVendor);
            if (value is not null)
            {
                variables["UpdaterTrial"] = SupportedBootnames.Contains(value) ? value : $"unreadable: '{Shown(value)}' is not a slot";
                marker = SupportedBootnames.Contains(value) ? value : null;
            }
        }
        catch (BootEnvironmentException e)
        {
            variables["UpdaterTrial"] = "unreadable: " + e.Message;
        }

        var entries = new Dictionary<string, EfiLoadOption>(StringComparer.Ordinal);
        foreach (string bootname in SupportedBootnames)
        {
            ushort boot = Options.BootOf(bootname);
            string path = Options.BootEntryPath(boot);
            var bytes = EfiVariableStore.Read(path, EfiLoadOption.MaxSize)
                ?? throw new BootEnvironmentException(path, null, $"does not exist: slot {bootname}'s boot option Boot{EfiBootNumbers.Format(boot)} (efi-boot-{bootname.ToLowerInvariant()} in update.conf) is not in the firmware; create it with efibootmgr --create (docs/bootloaders.md)");
            var entry = EfiLoadOption.Parse(bytes, path);
            entries[bootname] = entry;
            variables[$"{bootname}_BOOT"] = "Boot" + EfiBootNumbers.Format(boot);
            variables[$"{bootname}_LABEL"] = entry.Shown;
            variables[$"{bootname}_ACTIVE"] = entry.Active ? "1" : "0";
            variables[StateVariable(bootname)] = StateWord(EfiBootRule.SlotState(bootname, boot, order, next, marker));
        }
        variables[OrderName] = string.Join(' ', PreferenceOrder(order, next));
        if (EfiVariable.ReadString(Options.EfiVariables, "UpdaterSecurityFloor", EfiVariable.UpdaterVendor) is { } floor)
        {
            variables[SecurityFloorVariable.Name] = floor;
        }
        return Task.FromResult<EnvironmentSnapshot>(new EfiSnapshot(variables, order, next, marker, markerPresent, entries));
    }

    /// <summary>What the firmware tries, in turn: BootNext's slot, then the slots in BootOrder, then the rest.</summary>
    private IEnumerable<string> PreferenceOrder(IReadOnlyList<ushort> order, ushort? next)
    {
        var result = new List<string>();
        result.AddRange(SupportedBootnames.Where(b => next == Options.BootOf(b)));
        result.AddRange(order.SelectMany(n => SupportedBootnames.Where(b => Options.BootOf(b) == n)));
        result.AddRange(SupportedBootnames);
        return result.Distinct();
    }

    private static string StateWord(SlotBootState state) => state switch
    {
        { Good: false } => Bad,
        { Trial: true, TriesLeft: > 0 } => Trial,
        { Trial: true } => Tried,
        _ => Committed,
    };

    private protected override async Task WriteEnvironmentAsync(EnvironmentSnapshot current, IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken)
    {
        var snapshot = (EfiSnapshot)current;
        var states = SupportedBootnames.ToDictionary(b => b, b => variables[StateVariable(b)], StringComparer.Ordinal);
        var trials = SupportedBootnames.Where(b => states[b] == Trial).ToList();
        if (trials.Count > 1)
        {
            throw new BootEnvironmentException(Options.EfiVariables, null, $"the firmware takes one BootNext, and slots {string.Join(" and ", trials)} would both be on trial; give the pending trial its verdict first");
        }
        foreach (string bootname in SupportedBootnames.Where(b => states[b] is Committed or Trial && snapshot.Variables[StateVariable(b)] != states[b]))
        {
            if (!snapshot.Entries[bootname].Active)
            {
                throw new BootEnvironmentException(Options.BootEntryPath(Options.BootOf(bootname)), null, $"slot {bootname}'s boot option is inactive, so the firmware skips it; activate it (efibootmgr -b {EfiBootNumbers.Format(Options.BootOf(bootname))} -a)");
            }
        }

        // A commit puts its slot at the front of BootOrder; otherwise the committed slots keep ORDER's order (an
        // activation put its slot first there). Options that are not the slots' keep their order, after them.
        var newlyCommitted = SupportedBootnames.Where(b => states[b] == Committed && snapshot.Variables[StateVariable(b)] != Committed).ToHashSet(StringComparer.Ordinal);
        var committed = SplitOrder(variables[OrderName]).Where(b => SupportedBootnames.Contains(b) && states[b] == Committed).Distinct()
            .OrderBy(b => newlyCommitted.Contains(b) ? 0 : 1).ToList();
        var ours = SupportedBootnames.Select(Options.BootOf).ToHashSet();
        var order = committed.Select(Options.BootOf).Concat(snapshot.BootOrder.Where(n => !ours.Contains(n))).ToList();
        ushort? next = trials.Count == 1 ? Options.BootOf(trials[0])
            : snapshot.BootNext is { } n && ours.Contains(n) ? null : snapshot.BootNext;
        string? marker = trials.FirstOrDefault() ?? SupportedBootnames.FirstOrDefault(b => states[b] == Tried && snapshot.TrialMarker == b);

        string? floor = variables.GetValueOrDefault(SecurityFloorVariable.Name);
        if (floor is not null && floor != snapshot.Variables.GetValueOrDefault(SecurityFloorVariable.Name))
        {
            await WriteStringAsync(Options.SecurityFloorPath, floor, cancellationToken).ConfigureAwait(false);
        }
        if (marker is not null && (marker != snapshot.TrialMarker || snapshot.Variables.GetValueOrDefault("UpdaterTrial") != marker))
        {
            await WriteStringAsync(Options.TrialMarkerPath, marker, cancellationToken).ConfigureAwait(false);
        }
        if (!order.SequenceEqual(snapshot.BootOrder))
        {
            await EfiVariableStore.WriteAsync(Options.GlobalPath("BootOrder"), EfiVariable.NonVolatileAttributes, EfiBootNumbers.EncodeOrder(order), _writer, cancellationToken).ConfigureAwait(false);
        }
        if (next != snapshot.BootNext)
        {
            if (next is { } value)
            {
                await EfiVariableStore.WriteAsync(Options.GlobalPath("BootNext"), EfiVariable.NonVolatileAttributes, EfiBootNumbers.EncodeOne(value), _writer, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await EfiVariableStore.DeleteAsync(Options.GlobalPath("BootNext"), _writer, cancellationToken).ConfigureAwait(false);
            }
        }
        if (marker is null && snapshot.TrialMarkerPresent)
        {
            await EfiVariableStore.DeleteAsync(Options.TrialMarkerPath, _writer, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task WriteStringAsync(string path, string value, CancellationToken cancellationToken) =>
        EfiVariableStore.WriteAsync(path, EfiVariable.NonVolatileAttributes, EfiVariable.Encode(value, EfiVariable.NonVolatileAttributes).AsMemory(4), _writer, cancellationToken);

    private static string Shown(string value) => string.Concat(value.Take(80).Select(c => char.IsControl(c) ? '?' : c));

    /// <summary>BootCurrent names the option the firmware started: a second witness beside the kernel command line.</summary>
    private protected override string? ReportedBoot(IReadOnlyDictionary<string, string> variables)
    {
        if (!variables.TryGetValue("BootCurrent", out var text) || EfiBootNumbers.TryParse(text) is not { } current)
        {
            return null;
        }
        return SupportedBootnames.FirstOrDefault(b => Options.BootOf(b) == current);
    }

    private protected override Dictionary<string, string> Effective(IReadOnlyDictionary<string, string> variables) =>
        new(variables, StringComparer.Ordinal);

    private protected override SlotBootState SlotState(IReadOnlyDictionary<string, string> variables, string bootname) =>
        variables[StateVariable(bootname)] switch
        {
            Committed => new SlotBootState(bootname, true, SlotBootState.Uncounted, false),
            Trial => new SlotBootState(bootname, true, EfiOptions.TrialTries, true),
            Tried => new SlotBootState(bootname, true, 0, true),
            _ => new SlotBootState(bootname, false, 0, false),
        };

    private protected override void SetSlot(Dictionary<string, string> env, string bootname, SlotMark mark) =>
        env[StateVariable(bootname)] = mark switch
        {
            SlotMark.Committed => Committed,
            SlotMark.Trial => Trial,
            _ => Bad,
        };
}
