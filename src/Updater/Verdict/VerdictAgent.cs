// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Definitions;
using HealthCheck.Running;
using Updater.Config;
using Updater.Device;
using Updater.Events;
using Updater.State;

namespace Updater.Verdict;

/// <summary>
/// The post-boot verdict, as `updater health` gives it on every boot: first record a rollback that an earlier
/// boot left behind, then run the checks and act on the booted side. On a trial boot a pass commits the side and
/// a fail marks it bad, after writing down why, so the next boot (on the other side) can say what happened. Every
/// write is durable before <see cref="JudgeAsync"/> returns, so the reboot that follows cannot lose it.
/// </summary>
internal sealed class VerdictAgent
{
    private readonly DeviceContext _context;
    private readonly TimeProvider _time;

    public VerdictAgent(DeviceContext context, TimeProvider? time = null)
    {
        _context = context;
        _time = time ?? context.Time;
    }

    /// <param name="device">The device as the command read it.</param>
    /// <param name="checks">The checks to run (from the checks directory).</param>
    /// <param name="noReboot">Record and mark, but leave the reboot to the operator.</param>
    /// <param name="stage">
    /// <see cref="VerdictStage.Whole"/>: a pass commits. <see cref="VerdictStage.Checks"/>: a pass on a trial is
    /// recorded for this boot and the commit left to <see cref="VerdictStage.Commit"/>, whose checks are the
    /// target's (boot-complete.target reached) and which commits only a pass recorded in this boot.
    /// </param>
    public async Task<VerdictOutcome> JudgeAsync(DeviceState device, IReadOnlyList<HealthCheckDefinition> checks, bool noReboot, CancellationToken cancellationToken, VerdictStage stage = VerdictStage.Whole)
    {
        var config = _context.Config;
        var bootloader = _context.Bootloader;
        device.RequireBoot();
        var booted = device.BootedSide;
        var rollback = await RecordRollbackAsync(device, cancellationToken).ConfigureAwait(false);
        if (rollback is not null)
        {
            // Recording it may have marked the other side bad: what follows decides on the device as it is now.
            device = await _context.ReadAsync(cancellationToken).ConfigureAwait(false);
            booted = device.BootedSide;
        }

        if (stage == VerdictStage.Commit && booted.AwaitsVerdict)
        {
            RequirePassOfThisBoot(booted);
        }

        var runner = new HealthRunner(new HealthRunnerOptions { SystemBusAddress = config.Health.BusAddress, OverallTimeout = config.Health.Timeout }, _time);
        HealthReport report;
        try
        {
            report = await runner.RunAsync(checks, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidHealthCheckException e)
        {
            throw new ConfigException(e.Message);
        }

        bool trial = booted.AwaitsVerdict;
        var installed = booted.LastInstall;
        string what = booted.Describe();
        _context.Events.Emit(HealthEvent(report, booted, trial));
        VerdictOutcome Outcome(VerdictAction action, string explanation, bool reboot = false) => new()
        {
            BootedSlot = booted.Bootname,
            Version = booted.Version,
            Trial = trial,
            Verdict = report.Verdict,
            Action = action,
            Explanation = explanation,
            Reboot = reboot,
            RollbackRecorded = rollback,
            Report = report,
        };

        if (report.Verdict == HealthVerdict.Pass)
        {
            if (!trial)
            {
                return Outcome(VerdictAction.None, $"{what} is committed; nothing to do");
            }
            if (stage == VerdictStage.Checks)
            {
                await _context.State.WriteHealthPassAsync(new HealthPassRecord
                {
                    Bootname = booted.Bootname,
                    BootId = BootId.Current(),
                    Version = booted.Version,
                    ManifestSha256 = installed?.ManifestSha256,
                    PassedAt = _time.GetUtcNow(),
                }, cancellationToken).ConfigureAwait(false);
                return Outcome(VerdictAction.Deferred, $"{what} passed its checks; the commit waits for boot-complete.target (updater commit, updater-commit.service)");
            }
            await CommitAsync(device, booted, cancellationToken).ConfigureAwait(false);
            _context.State.DeleteHealthPass();
            _context.Events.Emit(SlotMarker.Marked(UpdateEventTypes.SlotMarkedGood, booted, "verdict", $"{what} passed its trial boot and is committed"));
            return Outcome(VerdictAction.Committed, stage == VerdictStage.Commit
                ? $"{what} passed its trial boot, boot-complete.target was reached, and it is committed"
                : $"{what} passed its trial boot and is committed");
        }
        _context.State.DeleteHealthPass();

        bool rollBack = trial || (config.Health.OnCommittedFailure == CommittedFailurePolicy.Rollback && booted.IsGood);
        if (!rollBack)
        {
            return Outcome(VerdictAction.Reported, booted.IsGood
                ? $"{what} is committed and stays so ([health] on-committed-failure = report)"
                : $"{what} is already marked bad in the bootloader; nothing more to do");
        }

        var other = device.OtherSide;
        if (!other.IsBootable)
        {
            // Marking the only bootable side bad would leave the bootloader nothing to boot: a bricked device.
            return Outcome(VerdictAction.Kept, $"{what} failed, but slot {other.Bootname} cannot boot (marked bad or out of tries): {booted.Bootname} is kept; repair it or install again");
        }

        // Why first, then the bootloader: the next boot must find the reason whenever it finds the side bad.
        await _context.State.WriteHealthFailureAsync(new HealthFailureRecord
        {
            Bootname = booted.Bootname,
            Version = booted.Version,
            ManifestSha256 = installed?.ManifestSha256,
            InstalledAt = installed?.InstalledAt,
            Trial = trial,
            FailedAt = _time.GetUtcNow(),
            FailedChecks = report.Checks.Where(c => c.Required && !c.Passed).Select(c => new FailedCheck
            {
                Name = c.Name,
                Kind = HealthCheckKindWords.Word(c.Kind),
                Target = c.Target,
                Source = c.Source,
                Attempts = c.Attempts,
                Reason = c.Reason ?? "failed",
            }).ToList(),
        }, cancellationToken).ConfigureAwait(false);
        await bootloader.MarkBadAsync(booted.Bootname, cancellationToken).ConfigureAwait(false);
        _context.Events.Emit(SlotMarker.Marked(UpdateEventTypes.SlotMarkedBad, booted, "verdict", $"{what} failed its health checks and is marked bad; slot {other.Bootname} boots next"));
        return Outcome(VerdictAction.MarkedBad,
            $"{what} marked bad; slot {other.Bootname} boots next{(noReboot ? " (not rebooting: --no-reboot)" : "")}", reboot: !noReboot);
    }

    /// <summary>The journal event of a health run: passed or failed, on which side, and which required checks failed.</summary>
    private static UpdateEvent HealthEvent(HealthReport report, Side booted, bool trial)
    {
        string boot = trial ? "trial boot" : "boot";
        var failed = report.Checks.Where(c => c.Required && !c.Passed).ToList();
        return report.Verdict == HealthVerdict.Pass
            ? new UpdateEvent(UpdateEventTypes.HealthPassed, $"{booted.Describe()} passed its health checks on a {boot}")
            {
                Slot = booted.Bootname,
                Version = booted.Version,
                BundleSha256 = booted.LastInstall?.ManifestSha256,
            }
            : new UpdateEvent(UpdateEventTypes.HealthFailed, $"{booted.Describe()} failed its health checks on a {boot}: {string.Join("; ", failed.Select(c => $"{c.Name}: {c.Reason}"))}")
            {
                Slot = booted.Bootname,
                Version = booted.Version,
                BundleSha256 = booted.LastInstall?.ManifestSha256,
                Error = string.Join("; ", failed.Select(c => $"{c.Name}: {c.Reason}")),
            };
    }

    /// <summary>
    /// The commit after boot-complete.target needs the checks' pass of this boot: without it the target was reached
    /// without the checks (a unit file that lost its ordering), and committing would skip them.
    /// </summary>
    private void RequirePassOfThisBoot(Side booted)
    {
        var pass = _context.State.ReadHealthPass();
        string boot = BootId.Current();
        if (pass is null || pass.Bootname != booted.Bootname || pass.BootId != boot)
        {
            string found = pass is null ? "none is recorded" : $"the one recorded is of slot {pass.Bootname} in boot {pass.BootId}";
            throw new UpdaterException(ExitCode.Refused,
                $"{booted.Describe()} has no passing health verdict in this boot ({boot}): {found}; `updater health --defer-commit` (updater-health.service) must pass before `updater commit`");
        }
    }

    /// <summary>
    /// The verdict's commit: mark-good and the raised anti-rollback floor in one bootloader environment write, then
    /// the state directory's copy of the floor (<see cref="SlotMarker.CommitAsync"/>).
    /// </summary>
    private Task CommitAsync(DeviceState device, Side booted, CancellationToken cancellationToken) =>
        SlotMarker.CommitAsync(_context, device.CommitFloor(booted),
            floor => _context.Bootloader.MarkGoodAsync(booted.Bootname, floor, cancellationToken), cancellationToken);

    /// <summary>
    /// Records a rollback that an earlier boot left behind, once. A trial the bootloader gave up on is then marked
    /// bad too, so that it reads as the failure it was and `updater rollback` does not pick it.
    /// </summary>
    private async Task<RollbackRecord?> RecordRollbackAsync(DeviceState device, CancellationToken cancellationToken)
    {
        var found = RollbackDetector.Find(device, _time.GetUtcNow());
        if (found is null)
        {
            return null;
        }
        await _context.State.WriteRollbackAsync(found, cancellationToken).ConfigureAwait(false);
        var abandoned = device.Side(found.FromSlot);
        if (abandoned.IsGood)
        {
            await _context.Bootloader.MarkBadAsync(found.FromSlot, cancellationToken).ConfigureAwait(false);
            _context.Events.Emit(SlotMarker.Marked(UpdateEventTypes.SlotMarkedBad, abandoned, "verdict",
                $"{abandoned.Describe()} never reached a health verdict and is marked bad"));
        }
        // A rollback is about the release abandoned, as rollback.json is: its slot, version and manifest hash.
        _context.Events.Emit(new UpdateEvent(UpdateEventTypes.Rollback, $"rolled back from slot {found.FromSlot} to {found.ToSlot}: {found.Explanation}")
        {
            Slot = found.FromSlot,
            Version = found.Version,
            BundleSha256 = found.ManifestSha256,
            FromSlot = found.FromSlot,
            ToSlot = found.ToSlot,
            // The word rollback.json and the fleet report use, from the enum's one definition.
            Reason = System.Text.Json.JsonSerializer.Serialize(found.Reason, StateJsonContext.Default.RollbackReason).Trim('"'),
            Error = found.FailedChecks.Count == 0 ? null : string.Join("; ", found.FailedChecks.Select(c => $"{c.Name}: {c.Reason}")),
        });
        return found;
    }
}
