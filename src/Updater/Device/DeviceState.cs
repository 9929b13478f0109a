// SPDX-License-Identifier: Apache-2.0
using System.Runtime.ExceptionServices;
using Partition.Booted;
using Partition.Bootloaders;
using Updater.Config;
using Updater.State;

namespace Updater.Device;

/// <summary>
/// The device as one command sees it, read once: which side is booted and how that was found, the bootloader
/// environment, the two sides with their slots' records and boot states, the install journal, and the rollback
/// and health-failure records. Immutable: an operation that changes the device takes a snapshot, acts on the
/// bootloader or the state directory, and whoever needs the result reads a new one.
/// </summary>
internal sealed class DeviceState
{
    private readonly Exception? _bootedError;
    private readonly Exception? _bootError;

    private DeviceState(UpdaterConfig config, BootedSlot? booted, Exception? bootedError, BootState? boot, Exception? bootError,
        IReadOnlyDictionary<string, SlotRecord?> records, InstallJournal? journal, RollbackRecord? rollback, HealthFailureRecord? healthFailure)
    {
        Config = config;
        Booted = booted;
        _bootedError = bootedError;
        Boot = boot;
        _bootError = bootError;
        Journal = journal;
        Rollback = rollback;
        HealthFailure = healthFailure;
        Sides = config.Slots.Bootnames.Select(bootname => new Side(
            bootname,
            config.Slots.All.Where(s => s.Bootname == bootname).Select(s => new SideSlot(s, records[s.Name])).ToList(),
            boot?.Slot(bootname),
            booted?.Bootname == bootname,
            journal,
            rollback,
            healthFailure)).ToList();
    }

    public UpdaterConfig Config { get; }

    /// <summary>The booted side as detected; null when it cannot be told (<see cref="BootedProblem"/> says why).</summary>
    public BootedSlot? Booted { get; }

    public string? BootedProblem => _bootedError?.Message;

    /// <summary>The bootloader environment; null when it could not be read (<see cref="BootProblem"/> says why).</summary>
    public BootState? Boot { get; }

    public string? BootProblem => _bootError?.Message;

    /// <summary>Both sides, in configuration order of their bootnames.</summary>
    public IReadOnlyList<Side> Sides { get; }

    /// <summary>An install in progress (or interrupted), or null.</summary>
    public InstallJournal? Journal { get; }

    /// <summary>The rollback `updater health` recorded, kept until the next install.</summary>
    public RollbackRecord? Rollback { get; }

    /// <summary>The last failed verdict, written before its reboot.</summary>
    public HealthFailureRecord? HealthFailure { get; }

    public Side Side(string bootname) => Sides.First(s => s.Bootname == bootname);

    /// <summary>The booted side; an error (exit 6) that says how to tell the updater when it cannot be detected.</summary>
    public Side BootedSide => Booted is { } b ? Side(b.Bootname) : throw new UpdaterException(ExitCode.Refused, _bootedError!.Message);

    /// <summary>The side an install writes: the one not booted.</summary>
    public Side OtherSide => Sides.First(s => s != BootedSide);

    /// <summary>The bootloader environment, or the error that kept it from being read.</summary>
    public BootState RequireBoot()
    {
        if (Boot is null)
        {
            ExceptionDispatchInfo.Capture(_bootError!).Throw();
        }
        return Boot;
    }

    /// <summary>
    /// The running side is on its trial boot and has no verdict yet: until `updater health` gives it, the other
    /// side is the only one known to work, so nothing may be installed over it.
    /// </summary>
    public bool BootedAwaitsVerdict => Booted is not null && BootedSide.IsTrial;

    /// <summary>
    /// A verdict is outstanding: the running side awaits its health verdict, or a trial the bootloader gave up on
    /// awaits `updater health` to record the rollback. An unattended agent installs nothing then. Null when none is.
    /// </summary>
    public string? VerdictPending =>
        BootedAwaitsVerdict ? $"slot {BootedSide.Bootname} is on a trial boot awaiting its health verdict"
        : Sides.FirstOrDefault(s => s.TrialGivenUp) is { } given ? $"slot {given.Bootname} used up its trial boots; `updater health` records the rollback"
        : null;

    /// <summary>
    /// The other side when the bootloader boots it next (a fresh install waiting for its trial boot, or a side made
    /// primary and not yet booted): what a reboot activates. Null when the next boot stays on the running side.
    /// </summary>
    public Side? Staged => Booted is not null && Boot?.NextBoot == OtherSide.Bootname && OtherSide.IsBootable ? OtherSide : null;

    /// <summary>Resolves what an operator names a side by: booted, other, or a bootname.</summary>
    public Side Resolve(string which) => which switch
    {
        "booted" => BootedSide,
        "other" => OtherSide,
        _ => Sides.FirstOrDefault(s => s.Bootname == which)
            ?? throw new UpdaterException(ExitCode.Usage, $"'{which}' is not booted, other, or one of the bootnames {string.Join(", ", Sides.Select(s => s.Bootname))}"),
    };

    public static async Task<DeviceState> ReadAsync(DeviceContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        BootedSlot? booted = null;
        Exception? bootedError = null;
        try
        {
            booted = context.Detector.Detect(context.BootedOverride ?? config.BootedSlot);
        }
        catch (BootedSlotUnknownException e)
        {
            // The library states the fact; how to tell this program is the program's to say.
            bootedError = new BootedSlotUnknownException($"{e.Message}; set [system] booted-slot in update.conf or pass --booted-slot");
        }

        BootState? boot = null;
        Exception? bootError = null;
        try
        {
            boot = await context.Bootloader.ReadStateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BootEnvironmentException or IOException or UnauthorizedAccessException)
        {
            bootError = e;
        }

        var state = context.State;
        var records = config.Slots.All.ToDictionary(s => s.Name, state.ReadSlot, StringComparer.Ordinal);
        return new DeviceState(config, booted, bootedError, boot, bootError, records, state.ReadJournal(), state.ReadRollback(), state.ReadHealthFailure());
    }
}
