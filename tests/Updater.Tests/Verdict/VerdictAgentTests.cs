// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Definitions;
using HealthCheck.Running;
using Partition.Bootloaders;
using Partition.Bootloaders.Grub;
using Partition.Booted;
using Updater.Config;
using Updater.Device;
using Updater.Verdict;
using Updater.State;
using Updater.Tests.Support;

namespace Updater.Tests.Verdict;

/// <summary>
/// The verdict's decisions on each kind of boot, with the real GRUB backend on a grubenv that grub-editenv reads
/// back, and real command checks (`true`, `false`).
/// </summary>
public sealed class VerdictAgentTests : IDisposable
{
    private static readonly HealthCheckDefinition Passing = new("app", HealthCheckKind.Command, "true", "test.conf:1");
    private static readonly HealthCheckDefinition Failing = new("app", HealthCheckKind.Command, "echo app is down; false", "test.conf:1");
    private static readonly HealthCheckDefinition FailingWanted = new("extra", HealthCheckKind.Command, "false", "test.conf:5") { Required = false };

    private readonly TestDevice _box = new(slotSize: 1 << 20);
    private readonly GrubEnvFile _env;
    private readonly GrubBootloader _grub;
    private readonly StateDirectory _state;

    public VerdictAgentTests()
    {
        _env = new GrubEnvFile(_box.GrubEnv);
        _grub = new GrubBootloader(new GrubOptions(_env.Path));
        _state = new StateDirectory(_box.StateDir);
    }

    public void Dispose() => _box.Dispose();

    [Fact]
    public async Task A_trial_that_passes_is_committed()
    {
        await StartTrialOfBAsync();

        var outcome = await JudgeAsync("B", [Passing, FailingWanted]);

        Assert.Equal((HealthVerdict.Pass, VerdictAction.Committed, false), (outcome.Verdict, outcome.Action, outcome.Reboot));
        Assert.True(outcome.Trial);
        Assert.Equal("1 0 0", _env.SlotState("B"));
        Assert.Null(_state.ReadHealthFailure());
    }

    [Fact]
    public async Task A_trial_that_fails_records_only_its_required_failures_then_marks_bad_and_asks_for_the_reboot()
    {
        await StartTrialOfBAsync();

        var outcome = await JudgeAsync("B", [Failing, FailingWanted]);

        Assert.Equal((HealthVerdict.Fail, VerdictAction.MarkedBad, true), (outcome.Verdict, outcome.Action, outcome.Reboot));
        Assert.Equal("0 0 0", _env.SlotState("B"));
        Assert.Equal("A", (await _grub.ReadStateAsync(default)).NextBoot);
        var failure = _state.ReadHealthFailure()!;
        var check = Assert.Single(failure.FailedChecks);
        Assert.Equal(("app", "command", "test.conf:1", 1), (check.Name, check.Kind, check.Source, check.Attempts));
        Assert.Contains("app is down", check.Reason, StringComparison.Ordinal);
        Assert.True(failure.Trial);
    }

    [Fact]
    public async Task No_reboot_still_records_and_marks_bad()
    {
        await StartTrialOfBAsync();

        var outcome = await JudgeAsync("B", [Failing], noReboot: true);

        Assert.Equal((VerdictAction.MarkedBad, false), (outcome.Action, outcome.Reboot));
        Assert.Equal("0 0 0", _env.SlotState("B"));
        Assert.NotNull(_state.ReadHealthFailure());
    }

    [Fact]
    public async Task A_failure_on_a_committed_slot_is_reported_and_changes_nothing_by_default()
    {
        byte[] before = await CommittedPairAsync();

        var outcome = await JudgeAsync("A", [Failing]);

        Assert.Equal((HealthVerdict.Fail, VerdictAction.Reported, false), (outcome.Verdict, outcome.Action, outcome.Reboot));
        Assert.False(outcome.Trial);
        Assert.Equal(before, File.ReadAllBytes(_env.Path));
        Assert.Null(_state.ReadHealthFailure());
    }

    [Fact]
    public async Task A_failure_on_a_committed_slot_rolls_back_when_configured_and_the_next_boot_records_it()
    {
        await CommittedPairAsync();

        var outcome = await JudgeAsync("A", [Failing], policy: CommittedFailurePolicy.Rollback);

        Assert.Equal((VerdictAction.MarkedBad, true), (outcome.Action, outcome.Reboot));
        Assert.Equal("0 0 0", _env.SlotState("A"));
        Assert.False(_state.ReadHealthFailure()!.Trial);
        Assert.Equal("B", (await _grub.ReadStateAsync(default)).NextBoot);

        var onB = await JudgeAsync("B", [Passing]);
        Assert.Equal(RollbackReason.HealthFailed, onB.RollbackRecorded!.Reason);
        Assert.Equal(("A", "B"), (onB.RollbackRecorded.FromSlot, onB.RollbackRecorded.ToSlot));
        Assert.Contains("on a committed boot", onB.RollbackRecorded.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failure_is_never_allowed_to_leave_nothing_bootable()
    {
        await CommittedPairAsync();
        await _grub.MarkBadAsync("B", default);
        byte[] before = File.ReadAllBytes(_env.Path);

        var outcome = await JudgeAsync("A", [Failing], policy: CommittedFailurePolicy.Rollback);

        Assert.Equal((HealthVerdict.Fail, VerdictAction.Kept, false), (outcome.Verdict, outcome.Action, outcome.Reboot));
        Assert.Contains("slot B cannot boot", outcome.Explanation, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(_env.Path));
        Assert.Null(_state.ReadHealthFailure());
    }

    [Fact]
    public async Task A_slot_marked_bad_by_hand_is_not_taken_for_a_rollback()
    {
        await CommittedPairAsync();
        await _grub.MarkBadAsync("B", default);

        var outcome = await JudgeAsync("A", [Passing]);

        Assert.Null(outcome.RollbackRecorded);
        Assert.Null(_state.ReadRollback());
    }

    [Fact]
    public async Task A_failure_record_of_an_earlier_install_does_not_explain_a_later_rollback()
    {
        await StartTrialOfBAsync();
        await _state.WriteHealthFailureAsync(new HealthFailureRecord
        {
            Bootname = "B",
            Version = "1.5.0",
            ManifestSha256 = "an-older-install",
            InstalledAt = DateTimeOffset.UnixEpoch,
            Trial = true,
            FailedAt = DateTimeOffset.UnixEpoch,
            FailedChecks = [],
        }, default);
        _env.Set("B_TRY=1");

        var onA = await JudgeAsync("A", [Passing]);

        Assert.Equal(RollbackReason.NoVerdict, onA.RollbackRecorded!.Reason);
        Assert.Equal("2.0.0", onA.RollbackRecorded.Version);
    }

    /// <summary>A installed and committed (as the factory left it), B installed with 2.0.0 and activated for a trial.</summary>
    private async Task StartTrialOfBAsync()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 256 << 10, seed: 1), version: "2.0.0");
        await using var source = Updater.Transport.FileBundleSource.Open(bundle);
        var installer = _box.Installer(_grub);
        await installer.InstallAsync(source, new Updater.Install.InstallOptions(), null, default);
        Assert.Equal("1 0 1", _env.SlotState("B"));
    }

    /// <summary>Both slots good and committed, A first; returns the grubenv bytes.</summary>
    private async Task<byte[]> CommittedPairAsync()
    {
        await _grub.ActivateAsync("B", BootActivation.Permanent, default);
        await _grub.ActivateAsync("A", BootActivation.Permanent, default);
        Assert.Equal(("1 0 0", "1 0 0"), (_env.SlotState("A"), _env.SlotState("B")));
        return File.ReadAllBytes(_env.Path);
    }

    private Task<VerdictOutcome> JudgeAsync(string booted, HealthCheckDefinition[] checks, bool noReboot = false,
        CommittedFailurePolicy policy = CommittedFailurePolicy.Report, VerdictStage stage = VerdictStage.Whole)
    {
        var config = _box.Config with { Health = new HealthConfig { OnCommittedFailure = policy, Timeout = TimeSpan.FromSeconds(30) } };
        var device = new DeviceContext(config, _grub, bootedOverride: booted, detector: new BootedSlotDetector(config.Slots, _box.Path("no-cmdline")));
        return JudgeOnAsync(device, checks, noReboot, stage);
    }

    private static async Task<VerdictOutcome> JudgeOnAsync(DeviceContext device, HealthCheckDefinition[] checks, bool noReboot, VerdictStage stage = VerdictStage.Whole) =>
        await new VerdictAgent(device).JudgeAsync(await device.ReadAsync(CancellationToken.None), checks, noReboot, CancellationToken.None, stage);

    // The commit stage's check is boot-complete.target's state in `updater commit`; here a command stands in for it.
    private static readonly HealthCheckDefinition TargetReached = new("boot-complete.target", HealthCheckKind.Command, "true", "updater commit --target");
    private static readonly HealthCheckDefinition TargetFailed = new("boot-complete.target", HealthCheckKind.Command, "echo vendor-check.service failed; false", "updater commit --target");

    [Fact]
    public async Task A_deferred_pass_commits_nothing_until_the_commit_after_boot_complete()
    {
        await StartTrialOfBAsync();

        var checks = await JudgeAsync("B", [Passing], stage: VerdictStage.Checks);
        Assert.Equal((HealthVerdict.Pass, VerdictAction.Deferred, false), (checks.Verdict, checks.Action, checks.Reboot));
        Assert.Equal("1 0 1", _env.SlotState("B"));
        var pass = _state.ReadHealthPass()!;
        Assert.Equal(("B", File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim()), (pass.Bootname, pass.BootId));

        var commit = await JudgeAsync("B", [TargetReached], stage: VerdictStage.Commit);
        Assert.Equal((HealthVerdict.Pass, VerdictAction.Committed), (commit.Verdict, commit.Action));
        Assert.Equal("1 0 0", _env.SlotState("B"));
        Assert.Null(_state.ReadHealthPass());
    }

    [Fact]
    public async Task A_trial_that_passed_its_checks_and_never_completed_its_boot_is_reported_as_such_on_A()
    {
        await StartTrialOfBAsync();
        await JudgeAsync("B", [Passing], stage: VerdictStage.Checks);
        // boot-complete.target never came (a unit it requires hung): the commit's job timeout rebooted, GRUB counted the try.
        _env.Set("B_TRY=1");

        var onA = await JudgeAsync("A", [Passing]);

        Assert.Equal(RollbackReason.NoVerdict, onA.RollbackRecorded!.Reason);
        Assert.Contains("passed its health checks on its trial boot at", onA.RollbackRecorded.Explanation, StringComparison.Ordinal);
        Assert.Contains("never reached boot-complete.target and its commit", onA.RollbackRecorded.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_boot_complete_target_that_was_not_reached_vetoes_the_commit_and_rolls_back()
    {
        await StartTrialOfBAsync();
        await JudgeAsync("B", [Passing], stage: VerdictStage.Checks);

        var commit = await JudgeAsync("B", [TargetFailed], stage: VerdictStage.Commit);

        Assert.Equal((HealthVerdict.Fail, VerdictAction.MarkedBad, true), (commit.Verdict, commit.Action, commit.Reboot));
        Assert.Equal("0 0 0", _env.SlotState("B"));
        var check = Assert.Single(_state.ReadHealthFailure()!.FailedChecks);
        Assert.Equal("boot-complete.target", check.Name);
        Assert.Contains("vendor-check.service failed", check.Reason, StringComparison.Ordinal);
        Assert.Null(_state.ReadHealthPass());
    }

    [Fact]
    public async Task The_commit_refuses_without_a_pass_of_this_very_boot_and_changes_nothing()
    {
        await StartTrialOfBAsync();
        byte[] before = File.ReadAllBytes(_env.Path);

        var none = await Assert.ThrowsAsync<UpdaterException>(() => JudgeAsync("B", [TargetReached], stage: VerdictStage.Commit));
        Assert.Equal(ExitCode.Refused, none.ExitCode);
        Assert.Contains("none is recorded", none.Message, StringComparison.Ordinal);

        // A pass of an earlier boot of B (the checks passed, then the power went before boot-complete.target).
        await _state.WriteHealthPassAsync(new HealthPassRecord { Bootname = "B", BootId = Guid.NewGuid().ToString(), PassedAt = DateTimeOffset.UnixEpoch }, default);
        var earlier = await Assert.ThrowsAsync<UpdaterException>(() => JudgeAsync("B", [TargetReached], stage: VerdictStage.Commit));
        Assert.Contains("the one recorded is of slot B in boot", earlier.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(_env.Path));
    }
}
