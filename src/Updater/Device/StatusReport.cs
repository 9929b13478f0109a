// SPDX-License-Identifier: Apache-2.0
using Updater.State;

namespace Updater.Device;

/// <summary>`updater status --json`: the state directory's view and the bootloader's, side by side.</summary>
internal sealed record StatusReport
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

    /// <summary>The trust root this device uses (docs/trust.md); null when it cannot be read (then a problem says why).</summary>
    public TrustRootStatus? TrustRoot { get; init; }

    /// <summary>When the time this device judges channels by is not its clock (Clock.TrustedClock): which, and why.</summary>
    public string? ClockCorrection { get; init; }
    /// <summary>The effective anti-rollback floor (the maximum of <see cref="SecurityFloorSources"/>); null when none is readable.</summary>
    public long? SecurityFloor { get; init; }

    /// <summary>Every readable floor and where it comes from (docs/anti-rollback.md).</summary>
    public IReadOnlyList<FloorSource> SecurityFloorSources { get; init; } = [];

    /// <summary>Where the two views disagree, or what else an operator must look at. Empty when all is well.</summary>
    public required IReadOnlyList<string> Problems { get; init; }
}

/// <summary>The trusted root in `updater status`: its version, where it was read, until when it vouches for anything.</summary>
internal sealed record TrustRootStatus(long Version, string Source, DateTimeOffset Expires, bool Expired);
