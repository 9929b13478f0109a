// SPDX-License-Identifier: Apache-2.0
using System.Runtime.ExceptionServices;
using Partition.Booted;
using Partition.Bootloaders;
using Updater.Config;
using Updater.Image;
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
        IReadOnlyDictionary<string, SlotRecord?> records, InstallJournal? journal, RollbackRecord? rollback, HealthFailureRecord? healthFailure,
        HealthPassRecord? healthPass, ImageInfo? imageInfo, FloorReading floors)
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
            healthFailure,
            healthPass)).ToList();
        ImageInfo = imageInfo;
        SecurityFloor = FloorOf(floors);
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

    /// <summary>The running image's image-info file; null when there is none or it is unreadable (<see cref="SecurityFloor"/> says so).</summary>
    public ImageInfo? ImageInfo { get; }

    /// <summary>
    /// The version the device runs, for people and the fleet: the one an install recorded for the booted side, else
    /// the one the running image's build wrote in image-info (a freshly flashed device has no install record); null
    /// when neither says.
    /// </summary>
    public string? RunningVersionText => Booted is null ? null : BootedSide.Version ?? ImageInfo?.Version;

    /// <summary>The effective anti-rollback floor and every source of it (docs/anti-rollback.md).</summary>
    public SecurityFloor SecurityFloor { get; }

    /// <summary>
    /// The floor a commit of <paramref name="side"/> writes (the health verdict's mark-good, `updater mark-good`, a
    /// manual rollback): the largest of the side's own security versions, the running image's image-info when the
    /// side is the running one, and every floor already readable, so that what is written never goes down.
    /// </summary>
    public long? CommitFloor(Side side)
    {
        long?[] candidates = [side.SecurityVersion, side.IsBooted ? ImageInfo?.SecurityVersion : null, SecurityFloor.Value];
        return candidates.Max();
    }

    /// <summary>
    /// The highest release version the running side vouches for, over all its slots' classes and its image-info
    /// (both views), with where it comes from; null when nothing records one. Never "the first record found".
    /// </summary>
    public (Bundles.ReleaseVersion Version, string Source)? RunningReleaseFloor()
    {
        var views = new List<(Bundles.ReleaseVersion, string)>();
        if (Booted is not null)
        {
            foreach (var slot in BootedSide.Slots)
            {
                if (slot.Record is { } record && Bundles.ReleaseVersion.TryParse(record.Version, out var v))
                {
                    views.Add((v, $"slot {slot.Slot.Name}"));
                }
            }
        }
        if (ImageInfo is { Version: { } text } info && Bundles.ReleaseVersion.TryParse(text, out var image))
        {
            views.Add((image, info.File));
        }
        return views.Count == 0 ? null : views.MaxBy(v => v.Item1);
    }

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
    /// The other side when the bootloader tries it next as a fresh install waiting for its trial boot: what the
    /// agent may activate by a reboot, or cancel on a halt. Not a committed side the next boot falls back to (a
    /// trial marked bad, a manual rollback): cancelling that would leave nothing to boot (found by tests/explore).
    /// Null when the next boot stays on the running side.
    /// </summary>
    public Side? Staged => Booted is not null && Boot?.NextBoot == OtherSide.Bootname && OtherSide.AwaitsTrialBoot ? OtherSide : null;

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

        // The floors: each read on its own, so one unreadable source is named and the others still show.
        var problems = new List<string>();
        long? envFloor = null;
        if (boot is not null)
        {
            try
            {
                envFloor = SecurityFloorVariable.Read(boot.Variables, $"{config.Bootloader} environment");
            }
            catch (BootEnvironmentException e)
            {
                problems.Add(e.Message);
            }
        }
        else
        {
            problems.Add($"the bootloader environment, which holds {SecurityFloorVariable.Name}, could not be read: {bootError?.Message}");
        }
        long? stateFloor = null;
        try
        {
            stateFloor = state.ReadSecurityFloor();
        }
        catch (UpdaterException e)
        {
            problems.Add(e.Message);
        }
        ImageInfo? imageInfo = null;
        try
        {
            imageInfo = ImageInfo.Load(config.ImageInfo);
            // The running image was verified when it was installed: its build time is a floor of "now" (Clock.TrustedClock).
            if (imageInfo?.Built is { } built)
            {
                context.Clock.AddFloor(built, $"the running image ({config.ImageInfo})");
            }
        }
        catch (UpdaterException e)
        {
            problems.Add(e.Message);
        }
        return new DeviceState(config, booted, bootedError, boot, bootError, records, state.ReadJournal(), state.ReadRollback(), state.ReadHealthFailure(),
            state.ReadHealthPass(), imageInfo, new FloorReading(envFloor, stateFloor, state.SecurityFloorPath, problems));
    }

    private SecurityFloor FloorOf(FloorReading floors)
    {
        var sources = new List<FloorSource>();
        if (floors.Environment is { } env)
        {
            sources.Add(new FloorSource($"bootloader environment ({SecurityFloorVariable.Name})", env));
        }
        if (floors.StateDirectory is { } file)
        {
            sources.Add(new FloorSource(floors.StateFile, file));
        }
        // Committed: the bootloader holds the side good and off trial, and no install into it is unfinished. A fresh
        // install awaiting its trial, or one that failed, sets no floor until it is committed.
        foreach (var side in Sides.Where(s => s.Boot is { Good: true, Trial: false } && !s.IsInstalling))
        {
            foreach (var slot in side.Slots)
            {
                if (slot.Record is { } record)
                {
                    sources.Add(new FloorSource($"slot {slot.Slot.Name} (committed {record.Version})", record.SecurityVersion));
                }
            }
        }
        if (ImageInfo is { } info)
        {
            sources.Add(new FloorSource(info.File, info.SecurityVersion));
        }
        return new SecurityFloor(sources, floors.Problems, Config.ImageInfo);
    }

    /// <summary>The floors as read, before the sides are known.</summary>
    private sealed record FloorReading(long? Environment, long? StateDirectory, string StateFile, IReadOnlyList<string> Problems);
}
