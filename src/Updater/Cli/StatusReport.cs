using Updater.State;

namespace Updater.Cli;

/// <summary>`updater status --json`: the state directory's view and the bootloader's, side by side.</summary>
public sealed record StatusReport
{
    public required string Compatible { get; init; }
    public string? BootedSlot { get; init; }
    public string? BootedDetectedBy { get; init; }
    public required string Bootloader { get; init; }
    public string? NextBoot { get; init; }
    public IReadOnlyList<string>? BootOrder { get; init; }
    public IReadOnlyDictionary<string, string>? BootloaderVariables { get; init; }
    public InstallJournal? InstallInProgress { get; init; }

    /// <summary>The last rollback: recorded by `updater health`, or seen now and not recorded yet. Cleared by the next install.</summary>
    public RollbackRecord? Rollback { get; init; }

    /// <summary>False when <see cref="Rollback"/> is seen in the bootloader environment but not yet recorded.</summary>
    public bool? RollbackRecorded { get; init; }
    public required IReadOnlyList<SlotStatus> Slots { get; init; }

    /// <summary>Where the two views disagree, or what else an operator must look at. Empty when all is well.</summary>
    public required IReadOnlyList<string> Problems { get; init; }
}

public sealed record SlotStatus
{
    public required string Name { get; init; }
    public required string Class { get; init; }
    public required string Bootname { get; init; }
    public required string Device { get; init; }
    public required bool Booted { get; init; }

    /// <summary>
    /// booted; installed (a completed, verified install); installing (an unfinished install: partial image);
    /// unrecorded (not written by updater: a factory image, or nothing — the bootloader's good/bad tells).
    /// </summary>
    public required string State { get; init; }
    public string? Version { get; init; }
    public DateTimeOffset? InstalledAt { get; init; }
    public string? ImageSha256 { get; init; }
    public bool? BootGood { get; init; }
    /// <summary>Null for a committed slot, whose boots the bootloader does not count.</summary>
    public int? BootTriesLeft { get; init; }
    public bool? BootTrial { get; init; }
}
