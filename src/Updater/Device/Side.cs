// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;
using Updater.State;

namespace Updater.Device;

/// <summary>
/// One side of the A/B pair: every slot that carries one bootname (one per class: rootfs.0, appfs.0, ...), what
/// each holds, and what the bootloader says of the bootname. Every fact about a side is defined here, once;
/// the installer, the verdict, the rollback detector, the rollout and `status` ask it instead of joining the
/// configuration, the bootloader and the state directory themselves.
/// </summary>
internal sealed class Side
{
    public Side(string bootname, IReadOnlyList<SideSlot> slots, SlotBootState? boot, bool booted, InstallJournal? journal,
        RollbackRecord? rollback, HealthFailureRecord? failure, HealthPassRecord? pass = null)
    {
        Bootname = bootname;
        Slots = slots;
        Boot = boot;
        IsBooted = booted;
        // A booted side was activated, so its install finished: a journal naming it is one whose deletion a crash
        // right after the commit point cut short (the target stays marked bad until then, so it cannot boot early).
        IsInstalling = journal is not null && journal.TargetBootname == bootname && !booted;
        var last = LastInstall;
        // "About its last install": the same manifest installed at the same time (both null for a slot the updater
        // never wrote, e.g. a factory image rolled back under on-committed-failure = rollback).
        HealthFailure = failure is not null && failure.Bootname == bootname &&
                        failure.ManifestSha256 == last?.ManifestSha256 && failure.InstalledAt == last?.InstalledAt ? failure : null;
        HealthPass = pass is not null && pass.Bootname == bootname && last is not null && pass.ManifestSha256 == last.ManifestSha256 ? pass : null;
        Rollback = rollback is not null && rollback.FromSlot == bootname &&
                   rollback.ManifestSha256 == last?.ManifestSha256 && rollback.InstalledAt == last?.InstalledAt ? rollback : null;
    }

    public string Bootname { get; }

    /// <summary>Per class, in configuration order.</summary>
    public IReadOnlyList<SideSlot> Slots { get; }

    /// <summary>The bootloader's view of this bootname; null when its environment could not be read.</summary>
    public SlotBootState? Boot { get; }

    public bool IsBooted { get; }

    /// <summary>An install into this side was started and not finished: its image is partial.</summary>
    public bool IsInstalling { get; }

    /// <summary>The failed verdict recorded about this side's last install, if any.</summary>
    public HealthFailureRecord? HealthFailure { get; }

    /// <summary>
    /// A trial boot of this side's last install that passed its checks and was waiting for boot-complete.target and
    /// the commit (`updater health --defer-commit`), if any: a rollback after it is a boot that passed but never completed.
    /// </summary>
    public HealthPassRecord? HealthPass { get; }

    /// <summary>The recorded rollback away from this side's last install, if any.</summary>
    public RollbackRecord? Rollback { get; }

    /// <summary>
    /// This side's last install was given up: a rollback away from it was recorded, or its verdict failed and it
    /// is marked bad. Only these records say "rolled back"; a side that is merely marked bad (by hand, or by an
    /// install whose commit point failed) was not.
    /// </summary>
    public bool WasAbandoned => Rollback is not null || (HealthFailure is not null && IsMarkedBad);

    public IEnumerable<SlotRecord> Records => Slots.Select(s => s.Record).OfType<SlotRecord>();

    /// <summary>Every slot of the side records a completed install.</summary>
    public bool IsFullyRecorded => Slots.All(s => s.Record is not null);

    /// <summary>
    /// The release the side runs: the version every slot records, when all have a record and they agree; null
    /// otherwise (<see cref="VersionProblem"/> says why, when records exist).
    /// </summary>
    public string? Version =>
        IsFullyRecorded && Records.Select(r => r.Version).Distinct(StringComparer.Ordinal).Count() == 1 ? Slots[0].Record!.Version : null;

    /// <summary>Why <see cref="Version"/> is null although some slot has a record; null when there is nothing to say.</summary>
    public string? VersionProblem
    {
        get
        {
            if (Version is not null || !Records.Any())
            {
                return null;
            }
            string each = string.Join(", ", Slots.Select(s => $"{s.Slot.Name} {s.Record?.Version ?? "unrecorded"}"));
            return $"the slots of side {Bootname} do not hold one release ({each})";
        }
    }

    /// <summary>The install that last wrote this side: which install a verdict or a rollback is about.</summary>
    public SlotRecord? LastInstall => Records.MaxBy(r => r.InstalledAt);

    /// <summary>The anti-rollback floor this side sets: the highest security version any of its slots records.</summary>
    public long? SecurityVersion => Records.Any() ? Records.Max(r => r.SecurityVersion) : null;

    /// <summary>
    /// Something vouches that the side holds complete images: no install into it is unfinished, and every slot
    /// has a record of a completed install or the bootloader marks the side good (a factory-flashed slot has no
    /// record, but its environment says it works).
    /// </summary>
    public bool HoldsCompleteImage => !IsInstalling && (IsFullyRecorded || IsGood);

    /// <summary>Activated for a trial and not yet given its verdict (with tries left or not).</summary>
    public bool IsTrial => Boot is { Trial: true };

    /// <summary>A fresh install waiting for its trial boot: the next boot tries it.</summary>
    public bool AwaitsTrialBoot => Boot is { Trial: true, TriesLeft: > 0 } && !IsBooted;

    /// <summary>The bootloader may boot it: good, with tries left.</summary>
    public bool IsBootable => Boot is { Bootable: true };

    /// <summary>Not marked bad in the bootloader (whether or not it has tries left).</summary>
    public bool IsGood => Boot is { Good: true };

    /// <summary>On a trial and not marked bad: a verdict on this side is still to be given.</summary>
    public bool AwaitsVerdict => Boot is { Trial: true, Good: true };

    /// <summary>Marked bad in the bootloader.</summary>
    public bool IsMarkedBad => Boot is { Good: false };

    /// <summary>A trial whose tries the bootloader used up: the new system never reached a verdict.</summary>
    public bool TrialGivenUp => Boot is { Trial: true, TriesLeft: 0 };

    /// <summary>"slot B (2.0.0)": how messages name the side.</summary>
    public string Describe() => Version is { } v ? $"slot {Bootname} ({v})" : $"slot {Bootname}";
}
