// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Definitions;
using HealthCheck.Parsing;
using HealthCheck.Running;
using TestSupport.Systemd;

namespace HealthCheck.Tests.Systemd;

/// <summary>Unit checks against a real systemd 252 in a container, asked over its real system bus.</summary>
[Collection(SystemdCollection.Name)]
public sealed class SystemdUnitCheckTests(SystemdContainerFixture fixture)
{
    [SystemdFact]
    public async Task An_active_service_passes()
    {
        var result = await CheckAsync(TestUnits.Active);

        Assert.True(result.Passed, result.Reason);
        Assert.Null(result.Reason);
    }

    [SystemdFact]
    public async Task A_failed_service_fails_with_its_exit_status()
    {
        var result = await CheckAsync(TestUnits.Failed);

        Assert.False(result.Passed);
        Assert.Equal($"unit {TestUnits.Failed} failed (result exit-code, exit status 3)", result.Reason);
    }

    [SystemdFact]
    public async Task A_oneshot_that_exited_0_passes()
    {
        var result = await CheckAsync(TestUnits.OneshotDone);

        Assert.True(result.Passed, result.Reason);
    }

    [SystemdFact]
    public async Task A_oneshot_that_remains_after_exit_passes()
    {
        var result = await CheckAsync(TestUnits.OneshotRemains);

        Assert.True(result.Passed, result.Reason);
    }

    [SystemdFact]
    public async Task A_oneshot_that_never_ran_fails()
    {
        var result = await CheckAsync(TestUnits.OneshotNeverRun);

        Assert.False(result.Passed);
        Assert.Equal($"oneshot unit {TestUnits.OneshotNeverRun} has not run (inactive/dead)", result.Reason);
    }

    [SystemdFact]
    public async Task A_oneshot_still_running_its_start_command_fails_as_activating()
    {
        var result = await CheckAsync(TestUnits.ActivatingOneshot);

        Assert.False(result.Passed);
        Assert.Equal($"unit {TestUnits.ActivatingOneshot} is still activating (start)", result.Reason);
    }

    [SystemdFact]
    public async Task A_notify_service_that_never_notified_fails_as_activating()
    {
        var result = await CheckAsync(TestUnits.ActivatingNotify);

        Assert.False(result.Passed);
        Assert.Equal($"unit {TestUnits.ActivatingNotify} is still activating (start)", result.Reason);
    }

    [SystemdFact]
    public async Task A_missing_unit_fails_as_not_found()
    {
        var result = await CheckAsync(TestUnits.Missing);

        Assert.False(result.Passed);
        Assert.Equal($"unit {TestUnits.Missing} not found", result.Reason);
    }

    [SystemdFact]
    public async Task A_reached_target_passes()
    {
        var result = await CheckAsync("multi-user.target");

        Assert.True(result.Passed, result.Reason);
    }

    [SystemdFact]
    public async Task A_name_systemd_rejects_fails_with_systemds_reason()
    {
        var result = await CheckAsync("no such/unit.service");

        Assert.False(result.Passed);
        Assert.Contains("is not valid", result.Reason, StringComparison.Ordinal);
        Assert.Contains("org.freedesktop.DBus.Error.InvalidArgs", result.Reason, StringComparison.Ordinal);
    }

    [SystemdFact]
    public async Task Drop_ins_parsed_and_run_against_systemd_give_the_verdict_of_the_required_checks()
    {
        var checks = HealthCheckParser.Parse(
            $"""
            [check.dbus]
            type = systemd-unit
            unit = dbus

            [check.app]
            type = systemd-unit
            unit = {TestUnits.Active}

            [check.optional-reporter]
            type = systemd-unit
            unit = {TestUnits.Failed}
            required = no
            """,
            "/etc/updater/health.d/10-units.conf");

        var passing = await new HealthRunner(Options()).RunAsync(checks);
        Assert.Equal(HealthVerdict.Pass, passing.Verdict);
        Assert.Equal([true, true, false], passing.Checks.Select(check => check.Passed));
        Assert.Equal("dbus.service", passing.Checks[0].Target);

        var withMissing = checks.Append(new HealthCheckDefinition("db", HealthCheckKind.SystemdUnit, TestUnits.Missing, "20-db.conf:1"));
        var failing = await new HealthRunner(Options()).RunAsync(withMissing);
        Assert.Equal(HealthVerdict.Fail, failing.Verdict);
    }

    [SystemdFact]
    public async Task A_unit_that_comes_up_while_the_check_retries_passes_on_a_later_attempt()
    {
        var clock = new WatchedFakeTimeProvider();
        var check = new HealthCheckDefinition("late", HealthCheckKind.SystemdUnit, TestUnits.StartedLater, "late.conf:1")
        {
            Retries = 3,
            RetryDelay = TimeSpan.FromSeconds(1),
        };
        var run = new HealthRunner(Options(), clock).RunAsync([check]);

        Assert.Equal(HealthRunnerOptions.DefaultOverallTimeout, await clock.NextArmedTimerAsync());
        Assert.Equal(check.Timeout, await clock.NextArmedTimerAsync()); // attempt 1 asks systemd: inactive
        Assert.Equal(TimeSpan.FromSeconds(1), await clock.NextArmedTimerAsync()); // waiting to retry

        await fixture.Container.RunAsync("systemctl", "start", TestUnits.StartedLater);
        clock.Advance(TimeSpan.FromSeconds(1));
        var report = await run;

        var result = Assert.Single(report.Checks);
        Assert.True(result.Passed, result.Reason);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(1), result.Duration);
    }

    private HealthRunnerOptions Options() => new() { SystemBusAddress = fixture.Container.SystemBusAddress };

    private async Task<HealthCheckResult> CheckAsync(string unit)
    {
        var check = new HealthCheckDefinition("unit", HealthCheckKind.SystemdUnit, unit, "test.conf:1");
        var report = await new HealthRunner(Options()).RunAsync([check]);
        return Assert.Single(report.Checks);
    }
}
