// SPDX-License-Identifier: Apache-2.0
using Updater.State;

namespace Updater.Device;

/// <summary>
/// Finds a rollback from what survived it: the bootloader environment and the state directory. The device runs a
/// side that is not on trial while the other side was being tried and is now either a trial the bootloader gave
/// up on (no tries left: the new system never reached a verdict) or marked bad after a failed verdict that
/// `updater health` recorded before it rebooted.
/// </summary>
internal static class RollbackDetector
{
    /// <summary>
    /// The rollback visible now and not recorded yet, or null. Reads only: the caller decides whether to record it.
    /// </summary>
    public static RollbackRecord? Find(DeviceState device, DateTimeOffset now)
    {
        if (device.Booted is null || device.BootedSide is not { Boot: { Trial: false } } booted)
        {
            // Running the trial itself (or a side the bootloader does not know): nothing was rolled back.
            return null;
        }

        var other = device.OtherSide;
        var installed = other.LastInstall;
        var failure = other.HealthFailure;
        bool failureIsAboutIt = failure is not null;
        if (!other.TrialGivenUp && !(other.IsMarkedBad && failureIsAboutIt))
        {
            return null;
        }

        string what = other.Describe();
        var candidate = new RollbackRecord
        {
            FromSlot = other.Bootname,
            ToSlot = booted.Bootname,
            Version = other.Version,
            ManifestSha256 = installed?.ManifestSha256,
            InstalledAt = installed?.InstalledAt,
            Reason = failureIsAboutIt ? RollbackReason.HealthFailed : RollbackReason.NoVerdict,
            Explanation = failureIsAboutIt
                ? $"{what} failed its health checks on a {(failure!.Trial ? "trial" : "committed")} boot: " +
                  string.Join("; ", failure.FailedChecks.Select(c => $"{c.Name}: {c.Reason}"))
                : other.HealthPass is { } pass
                    ? $"{what} passed its health checks on its trial boot at {pass.PassedAt:u}, but that boot never reached " +
                      $"boot-complete.target and its commit (a unit the target requires hung or failed, or the boot stopped " +
                      $"first); the bootloader used up its tries and booted slot {booted.Bootname}"
                    : $"{what} never reached a health verdict: the bootloader used up its tries (a boot that hung, " +
                      $"crashed, rebooted or could not load its kernel) and booted slot {booted.Bootname}",
            FailedChecks = failureIsAboutIt ? failure!.FailedChecks : [],
            FailedAt = failureIsAboutIt ? failure!.FailedAt : null,
            DetectedAt = now,
        };

        return device.Rollback is { } recorded && recorded.SameInstallAs(candidate) ? null : candidate;
    }
}
