// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;
using Updater.Events;
using Updater.State;

namespace Updater.Device;

/// <summary>
/// The operator's hands on the bootloader (RAUC's mark.c): mark a side good or bad, or roll back to the other
/// side. Each takes the snapshot the command read, refuses what would make a half-written or failed side
/// bootable, writes the bootloader environment, and says what it changed. The CLI and any other front end (a
/// D-Bus service) call these and only print.
/// </summary>
internal sealed class SlotMarker
{
    private readonly DeviceContext _context;

    public SlotMarker(DeviceContext context)
    {
        _context = context;
    }

    /// <summary>Makes the other side the one to boot, permanently, when it holds a good, complete image.</summary>
    public async Task<SlotChange> RollbackAsync(DeviceState device, CancellationToken cancellationToken)
    {
        var other = device.OtherSide;
        device.RequireBoot();
        RequireCompleteImage(device, other, "roll back to");
        if (other.AwaitsTrialBoot)
        {
            throw new UpdaterException(ExitCode.Refused, $"slot {other.Bootname} holds a freshly installed image waiting for its trial boot: reboot to try it, or `updater mark-bad {other.Bootname}` to cancel the update");
        }
        if (!other.IsGood)
        {
            throw new UpdaterException(ExitCode.Refused, $"slot {other.Bootname} is marked bad in the bootloader (a failed update or a manual mark-bad): not rolling back onto it; if you are sure, `updater mark-good {other.Bootname}` first");
        }
        if (other.TrialGivenUp)
        {
            // Its trial boots ran out before any verdict: the bootloader fell back because it never got that far.
            // Committing it would make an image that may not even boot the only one the bootloader tries.
            throw new UpdaterException(ExitCode.Refused, $"slot {other.Bootname}'s trial ran out of boots without a verdict: its image never passed its health checks, so it is not rolled back onto; if you are sure, `updater mark-good {other.Bootname}` first");
        }
        // A permanent activation commits the other side: the floor goes with it, and never down (a rollback to an
        // older release keeps the floor the newer one set).
        await CommitAsync(_context, device.CommitFloor(other),
            floor => _context.Bootloader.ActivateAsync(other.Bootname, BootActivation.Permanent, floor, cancellationToken), cancellationToken).ConfigureAwait(false);
        // After the switch, so the record never claims a rollback the bootloader did not make. It tells `status`
        // and the fleet what happened, and keeps an unattended agent from installing the abandoned release again.
        if (device.Booted is not null)
        {
            var left = device.BootedSide;
            var install = left.LastInstall;
            await _context.State.WriteRollbackAsync(new RollbackRecord
            {
                FromSlot = left.Bootname,
                ToSlot = other.Bootname,
                Version = left.Version,
                ManifestSha256 = install?.ManifestSha256,
                InstalledAt = install?.InstalledAt,
                Reason = RollbackReason.Manual,
                Explanation = $"rolled back by hand (`updater rollback`) from {left.Describe()} to {other.Describe()}",
                DetectedAt = _context.Time.GetUtcNow(),
            }, cancellationToken).ConfigureAwait(false);
        }
        // About the side left, as the rollback record and the automatic rollback's event are.
        var from = device.Booted is null ? null : device.BootedSide;
        _context.Events.Emit(new UpdateEvent(UpdateEventTypes.Rollback,
            $"rolled back by hand to {other.Describe()}{(from is null ? "" : $" from {from.Describe()}")}")
        {
            Slot = from?.Bootname,
            Version = from?.Version,
            BundleSha256 = from?.LastInstall?.ManifestSha256,
            FromSlot = from?.Bootname,
            ToSlot = other.Bootname,
            Reason = "manual",
        });
        return await ChangedAsync(SlotAction.Rollback, other, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks a side good: it stays bootable and its trial ends. Another side than the booted one must hold a complete image.</summary>
    public async Task<SlotChange> MarkGoodAsync(DeviceState device, Side side, CancellationToken cancellationToken)
    {
        if (!side.IsBooted)
        {
            device.RequireBoot();
            RequireCompleteImage(device, side, "mark good");
        }
        await CommitAsync(_context, device.CommitFloor(side),
            floor => _context.Bootloader.MarkGoodAsync(side.Bootname, floor, cancellationToken), cancellationToken).ConfigureAwait(false);
        _context.Events.Emit(Marked(UpdateEventTypes.SlotMarkedGood, side, "operator", $"{side.Describe()} marked good by hand"));
        return await ChangedAsync(SlotAction.MarkGood, side, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// An operator's mark-bad. Refused, unless forced, when no other side is committed: the bootloader would, now or
    /// after a failed trial of the other side,
    /// find nothing to boot and stop at its prompt (dist/grub.cfg's menu, dist/boot.cmd's "NO BOOTABLE SLOT"),
    /// which on an unattended device means someone has to go to it.
    /// </summary>
    public Task<SlotChange> MarkBadByHandAsync(DeviceState device, Side side, bool force, CancellationToken cancellationToken)
    {
        if (!force && side.IsBootable && !device.Sides.Any(s => s != side && s.IsBootable && !s.IsTrial))
        {
            var other = device.Sides.First(s => s != side);
            string why = other.IsBootable ? "only on trial (if that trial fails" : "not bootable (so";
            throw new UpdaterException(ExitCode.Refused,
                $"cannot mark slot {side.Bootname} bad: slot {other.Bootname} is {why} nothing would be left to boot and the device would stop at the bootloader); commit {other.Bootname} first, or pass --force to do it anyway");
        }
        return MarkBadAsync(side, "operator", $"{side.Describe()} marked bad by hand", cancellationToken);
    }

    /// <summary>Marks a side bad: the bootloader will not boot it. The agent's own calls (a failed verdict, a cancelled staged slot) always leave the other side as it was.</summary>
    /// <param name="by">Who decided, for the journal event: "operator", "channel".</param>
    /// <param name="why">The event's message.</param>
    public async Task<SlotChange> MarkBadAsync(Side side, string by, string why, CancellationToken cancellationToken)
    {
        await _context.Bootloader.MarkBadAsync(side.Bootname, cancellationToken).ConfigureAwait(false);
        _context.Events.Emit(Marked(UpdateEventTypes.SlotMarkedBad, side, by, why));
        return await ChangedAsync(SlotAction.MarkBad, side, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The journal event of a mark: which side, what it holds, who decided.</summary>
    internal static UpdateEvent Marked(UpdateEventType type, Side side, string by, string message) => new(type, message)
    {
        Slot = side.Bootname,
        Version = side.Version,
        BundleSha256 = side.LastInstall?.ManifestSha256,
        Reason = by,
    };

    /// <summary>
    /// A commit and its anti-rollback floor: <paramref name="write"/> is the one bootloader environment write that
    /// commits the side and raises <c>updater_security_floor</c> to max(its value, <paramref name="floor"/>); then the
    /// state directory's security-floor follows. After, not before: the environment write is the commit, and a floor
    /// written ahead of it would outlive a commit that failed (blocking a reinstall of the release the device still
    /// runs). A crash between the two leaves only the environment ahead, and the effective floor is the maximum of
    /// both, so nothing is lost; the next commit brings the file up to date.
    /// </summary>
    internal static async Task CommitAsync(DeviceContext context, long? floor, Func<long?, Task> write, CancellationToken cancellationToken)
    {
        await write(floor).ConfigureAwait(false);
        if (floor is { } committed)
        {
            var after = await context.Bootloader.ReadStateAsync(cancellationToken).ConfigureAwait(false);
            long written = Partition.Bootloaders.SecurityFloorVariable.Read(after.Variables, $"{context.Config.Bootloader} environment") ?? committed;
            await context.State.RaiseSecurityFloorAsync(Math.Max(written, committed), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Never make a side bootable whose image is missing or half-written: refused while an install into it is
    /// unfinished, and when nothing vouches for its content (<see cref="Side.HoldsCompleteImage"/>).
    /// </summary>
    private static void RequireCompleteImage(DeviceState device, Side side, string action)
    {
        if (side.IsInstalling)
        {
            throw new UpdaterException(ExitCode.Refused, $"cannot {action} slot {side.Bootname}: an install of {device.Journal!.Version} into it was interrupted, its image is incomplete");
        }
        if (!side.HoldsCompleteImage)
        {
            var slot = side.Slots.First(s => s.Record is null).Slot;
            throw new UpdaterException(ExitCode.Refused, $"cannot {action} slot {side.Bootname}: the state directory records no complete image in {slot.Name} ({slot.Device})");
        }
    }

    private async Task<SlotChange> ChangedAsync(SlotAction action, Side side, CancellationToken cancellationToken)
    {
        var after = await _context.Bootloader.ReadStateAsync(cancellationToken).ConfigureAwait(false);
        return new SlotChange(action, side.Bootname, after.NextBoot);
    }
}
