// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Checks;

namespace HealthCheck.Tests.Checks;

/// <summary>
/// Verdicts for unit states the container does not produce on demand (a masked unit, a crash by signal).
/// The states it does produce are proven against the real systemd in SystemdUnitCheckTests.
/// </summary>
public sealed class SystemdUnitStatusTests
{
    [Fact]
    public void A_masked_unit_fails_as_masked()
    {
        var status = new SystemdUnitStatus("app.service", "masked", "inactive", "dead");

        Assert.Equal(ProbeResult.Fail("unit app.service is masked"), status.Evaluate());
    }

    [Fact]
    public void A_service_killed_by_a_signal_names_the_signal()
    {
        var status = new SystemdUnitStatus("app.service", "loaded", "failed", "failed")
        {
            ServiceType = "simple", ServiceResult = "core-dump", ExecMainCode = 3, ExecMainStatus = 11, ExecMainExitTimestamp = 1,
        };

        Assert.Equal(ProbeResult.Fail("unit app.service failed (result core-dump, dumped core on signal 11)"), status.Evaluate());
    }

    [Fact]
    public void A_oneshot_that_ran_but_exited_non_zero_is_not_mistaken_for_success()
    {
        var status = new SystemdUnitStatus("job.service", "loaded", "inactive", "dead")
        {
            ServiceType = "oneshot", ServiceResult = "success", ExecMainCode = 1, ExecMainStatus = 1, ExecMainExitTimestamp = 1,
        };

        Assert.False(status.Evaluate().Passed);
    }

    [Fact]
    public void A_stopping_unit_fails()
    {
        var status = new SystemdUnitStatus("app.service", "loaded", "deactivating", "stop-sigterm");

        Assert.Equal(ProbeResult.Fail("unit app.service is deactivating (stop-sigterm)"), status.Evaluate());
    }

    [Fact]
    public void An_active_unit_that_is_reloading_passes()
    {
        Assert.True(new SystemdUnitStatus("app.service", "loaded", "reloading", "reload").Evaluate().Passed);
    }
}
