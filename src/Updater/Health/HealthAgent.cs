using HealthCheck.Definitions;
using HealthCheck.Running;
using Partition.Bootloaders;
using Updater.Config;
using Updater.State;

namespace Updater.Health;

/// <summary>
/// The post-boot verdict, as `updater health` gives it on every boot: first record a rollback that an earlier
/// boot left behind, then run the checks and act on the booted slot. On a trial boot a pass commits the slot and
/// a fail marks it bad, after writing down why, so the next boot (on the other slot) can say what happened. Every
/// write is durable before <see cref="JudgeAsync"/> returns, so the reboot that follows cannot lose it.
/// </summary>
public sealed class HealthAgent
{
    private readonly UpdaterConfig _config;
    private readonly IBootloader _bootloader;
    private readonly StateDirectory _state;
    private readonly TimeProvider _time;

    public HealthAgent(UpdaterConfig config, IBootloader bootloader, StateDirectory state, TimeProvider? time = null)
    {
        _config = config;
        _bootloader = bootloader;
        _state = state;
        _time = time ?? TimeProvider.System;
    }

    /// <param name="booted">The bootname of the running slot.</param>
    /// <param name="checks">The checks to run (from the checks directory).</param>
    /// <param name="noReboot">Record and mark, but leave the reboot to the operator.</param>
    public async Task<HealthOutcome> JudgeAsync(string booted, IReadOnlyList<HealthCheckDefinition> checks, bool noReboot, CancellationToken cancellationToken)
    {
        var boot = await _bootloader.ReadStateAsync(cancellationToken).ConfigureAwait(false);
        var rollback = await RecordRollbackAsync(boot, booted, cancellationToken).ConfigureAwait(false);

        var runner = new HealthRunner(new HealthRunnerOptions { SystemBusAddress = _config.Health.BusAddress, OverallTimeout = _config.Health.Timeout }, _time);
        HealthReport report;
        try
        {
            report = await runner.RunAsync(checks, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw new ConfigException(e.Message);
        }

        var bootedState = boot.Slot(booted);
        bool trial = bootedState is { Trial: true, Good: true };
        var installed = RollbackDetector.SlotRecordOf(booted, _config.Slots, _state);
        string what = installed is null ? $"slot {booted}" : $"slot {booted} ({installed.Version})";
        HealthOutcome Outcome(HealthAction action, string explanation, bool reboot = false) => new()
        {
            BootedSlot = booted,
            Version = installed?.Version,
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
                return Outcome(HealthAction.None, $"{what} is committed; nothing to do");
            }
            await _bootloader.MarkGoodAsync(booted, cancellationToken).ConfigureAwait(false);
            return Outcome(HealthAction.Committed, $"{what} passed its trial boot and is committed");
        }

        bool rollBack = trial || (_config.Health.OnCommittedFailure == CommittedFailurePolicy.Rollback && bootedState is { Good: true });
        if (!rollBack)
        {
            return Outcome(HealthAction.Reported, bootedState is { Good: true }
                ? $"{what} is committed and stays so ([health] on-committed-failure = report)"
                : $"{what} is already marked bad in the bootloader; nothing more to do");
        }

        string other = _config.Slots.OtherBootname(booted);
        var otherBoot = (await _bootloader.ReadStateAsync(cancellationToken).ConfigureAwait(false)).Slot(other);
        if (otherBoot is not { Bootable: true })
        {
            // Marking the only bootable slot bad would leave the bootloader nothing to boot: a bricked device.
            return Outcome(HealthAction.Kept, $"{what} failed, but slot {other} cannot boot (marked bad or out of tries): {booted} is kept; repair it or install again");
        }

        // Why first, then the bootloader: the next boot must find the reason whenever it finds the slot bad.
        await _state.WriteHealthFailureAsync(new HealthFailureRecord
        {
            Bootname = booted,
            Version = installed?.Version,
            ManifestSha256 = installed?.ManifestSha256,
            InstalledAt = installed?.InstalledAt,
            Trial = trial,
            FailedAt = _time.GetUtcNow(),
            FailedChecks = report.Checks.Where(c => c.Required && !c.Passed).Select(c => new FailedCheck
            {
                Name = c.Name,
                Kind = KindWord(c.Kind),
                Target = c.Target,
                Source = c.Source,
                Attempts = c.Attempts,
                Reason = c.Reason ?? "failed",
            }).ToList(),
        }, cancellationToken).ConfigureAwait(false);
        await _bootloader.MarkBadAsync(booted, cancellationToken).ConfigureAwait(false);
        return Outcome(HealthAction.MarkedBad,
            $"{what} marked bad; slot {other} boots next{(noReboot ? " (not rebooting: --no-reboot)" : "")}", reboot: !noReboot);
    }

    /// <summary>The kind as the drop-ins spell it (type = ...), so a stored record reads like the configuration.</summary>
    public static string KindWord(HealthCheckKind kind) => kind switch
    {
        HealthCheckKind.SystemdUnit => "systemd-unit",
        HealthCheckKind.Command => "command",
        HealthCheckKind.Http => "http",
        HealthCheckKind.Mount => "mount",
        _ => kind.ToString(),
    };

    /// <summary>
    /// Records a rollback that an earlier boot left behind, once. A trial the bootloader gave up on is then marked
    /// bad too, so that it reads as the failure it was and `updater rollback` does not pick it.
    /// </summary>
    private async Task<RollbackRecord?> RecordRollbackAsync(BootState boot, string booted, CancellationToken cancellationToken)
    {
        var found = RollbackDetector.Find(boot, booted, _config.Slots, _state, _time.GetUtcNow());
        if (found is null)
        {
            return null;
        }
        await _state.WriteRollbackAsync(found, cancellationToken).ConfigureAwait(false);
        if (boot.Slot(found.FromSlot) is { Good: true })
        {
            await _bootloader.MarkBadAsync(found.FromSlot, cancellationToken).ConfigureAwait(false);
        }
        return found;
    }
}
