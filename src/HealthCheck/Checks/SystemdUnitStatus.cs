// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Checks;

/// <summary>
/// What systemd says about one unit: the properties of <c>org.freedesktop.systemd1.Unit</c> and, for services, of
/// <c>org.freedesktop.systemd1.Service</c> that decide whether it is healthy.
/// </summary>
internal sealed record SystemdUnitStatus(string Unit, string LoadState, string ActiveState, string SubState)
{
    // si_code values of waitid(2), as systemd reports them in ExecMainCode.
    private const int ChildExited = 1;
    private const int ChildKilled = 2;
    private const int ChildDumped = 3;

    /// <summary>Service Type= (simple, oneshot, notify, ...); null for units that are not services.</summary>
    public string? ServiceType { get; init; }

    /// <summary>Service Result= (success, exit-code, signal, timeout, ...); null for units that are not services.</summary>
    public string? ServiceResult { get; init; }

    /// <summary>How the main process ended (CLD_EXITED, CLD_KILLED, CLD_DUMPED), 0 if it has not.</summary>
    public int ExecMainCode { get; init; }

    /// <summary>The main process's exit status, or the signal that ended it.</summary>
    public int ExecMainStatus { get; init; }

    /// <summary>When the main process ended, in microseconds since the epoch; 0 if it has not run to its end.</summary>
    public ulong ExecMainExitTimestamp { get; init; }

    /// <summary>
    /// Healthy means active (running, or a oneshot with RemainAfterExit=yes that exited), or a oneshot service
    /// that ran and exited 0. A oneshot that systemd has never run (or has forgotten: a unit nothing refers to is
    /// unloaded once inactive) is not healthy, so such units belong in a target's Wants= or use RemainAfterExit=yes.
    /// </summary>
    public ProbeResult Evaluate()
    {
        if (LoadState != "loaded")
        {
            return ProbeResult.Fail(LoadState switch
            {
                "not-found" => $"unit {Unit} not found",
                "masked" => $"unit {Unit} is masked",
                _ => $"unit {Unit} could not be loaded (load state {LoadState})",
            });
        }

        return ActiveState switch
        {
            "active" or "reloading" => ProbeResult.Pass(),
            "inactive" when RanOneshotSuccessfully => ProbeResult.Pass(),
            "inactive" when ServiceType == "oneshot" && ExecMainExitTimestamp == 0 =>
                ProbeResult.Fail($"oneshot unit {Unit} has not run (inactive/{SubState})"),
            "activating" => ProbeResult.Fail($"unit {Unit} is still activating ({SubState})"),
            "failed" => ProbeResult.Fail($"unit {Unit} failed{DescribeEnd()}"),
            _ => ProbeResult.Fail($"unit {Unit} is {ActiveState} ({SubState}){DescribeEnd()}"),
        };
    }

    private bool RanOneshotSuccessfully =>
        ServiceType == "oneshot" && ServiceResult == "success" && ExecMainExitTimestamp != 0 &&
        ExecMainCode == ChildExited && ExecMainStatus == 0;

    private string DescribeEnd()
    {
        var how = ExecMainCode switch
        {
            ChildExited => $"exit status {ExecMainStatus}",
            ChildKilled => $"killed by signal {ExecMainStatus}",
            ChildDumped => $"dumped core on signal {ExecMainStatus}",
            _ => null,
        };
        return (ServiceResult, how) switch
        {
            (null or "success", null) => "",
            (null or "success", _) => $" ({how})",
            (_, null) => $" (result {ServiceResult})",
            _ => $" (result {ServiceResult}, {how})",
        };
    }
}
