using Partition.Bootloaders;
using Partition.Slots;
using Updater.State;

namespace Updater.Health;

/// <summary>
/// Finds a rollback from what survived it: the bootloader environment and the state directory. The device runs a
/// slot that is not on trial while the other slot was being tried and is now either a trial the bootloader gave
/// up on (no tries left: the new system never reached a verdict) or marked bad after a failed verdict that
/// `updater health` recorded before it rebooted.
/// </summary>
public static class RollbackDetector
{
    /// <summary>
    /// The rollback visible now and not recorded yet, or null. Reads only: the caller decides whether to record it.
    /// </summary>
    public static RollbackRecord? Find(BootState boot, string booted, SlotSet slots, StateDirectory state, DateTimeOffset now)
    {
        if (boot.Slot(booted) is not { Trial: false })
        {
            // Running the trial itself (or a slot the bootloader does not know): nothing was rolled back.
            return null;
        }

        string other = slots.OtherBootname(booted);
        var otherBoot = boot.Slot(other);
        var installed = SlotRecordOf(other, slots, state);
        var failure = state.ReadHealthFailure();
        bool failureIsAboutIt = failure is not null && failure.Bootname == other &&
                                failure.ManifestSha256 == installed?.ManifestSha256 && failure.InstalledAt == installed?.InstalledAt;
        bool givenUp = otherBoot is { Trial: true, TriesLeft: 0 };
        bool markedBadByVerdict = otherBoot is { Good: false } && failureIsAboutIt;
        if (!givenUp && !markedBadByVerdict)
        {
            return null;
        }

        string what = installed is null ? $"slot {other}" : $"slot {other} ({installed.Version})";
        var candidate = failureIsAboutIt
            ? new RollbackRecord
            {
                FromSlot = other,
                ToSlot = booted,
                Version = installed?.Version,
                ManifestSha256 = installed?.ManifestSha256,
                InstalledAt = installed?.InstalledAt,
                Reason = RollbackRecord.HealthFailed,
                Explanation = $"{what} failed its health checks on a {(failure!.Trial ? "trial" : "committed")} boot: " +
                              string.Join("; ", failure.FailedChecks.Select(c => $"{c.Name}: {c.Reason}")),
                FailedChecks = failure.FailedChecks,
                FailedAt = failure.FailedAt,
                DetectedAt = now,
            }
            : new RollbackRecord
            {
                FromSlot = other,
                ToSlot = booted,
                Version = installed?.Version,
                ManifestSha256 = installed?.ManifestSha256,
                InstalledAt = installed?.InstalledAt,
                Reason = RollbackRecord.NoVerdict,
                Explanation = $"{what} never reached a health verdict: the bootloader used up its tries (a boot that hung, " +
                              $"crashed, rebooted or could not load its kernel) and booted slot {booted}",
                DetectedAt = now,
            };

        return state.ReadRollback() is { } recorded && recorded.SameInstallAs(candidate) ? null : candidate;
    }

    /// <summary>What the state directory says a bootname's slots hold: the first class with a record.</summary>
    public static SlotRecord? SlotRecordOf(string bootname, SlotSet slots, StateDirectory state) =>
        slots.All.Where(s => s.Bootname == bootname).Select(state.ReadSlot).FirstOrDefault(r => r is not null);
}
