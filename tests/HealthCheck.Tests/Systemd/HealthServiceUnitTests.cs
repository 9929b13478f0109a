// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Runtime.Versioning;
using TestSupport.Systemd;

namespace HealthCheck.Tests.Systemd;

/// <summary>
/// dist/updater-health.service and updater-commit.service, as shipped, in a real boot: enabled the way `systemctl
/// enable` does, with a stand-in for /usr/bin/updater that records when it ran. The checks must run once the
/// default target's units are up, before boot-complete.target, and hold that target back when they fail; the
/// commit must run after the target, whether it was reached or not (a target that failed is its to roll back).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class HealthServiceUnitTests : IDisposable
{
    private const string Log = "/run/updater-stand-in.log";

    private readonly TempDirectory _directory = new("health-service-");

    [SystemdFact]
    public async Task A_passing_health_run_comes_after_the_default_target_and_lets_boot_complete()
    {
        await using var container = await BootWithUnitAsync(exitCode: 0);

        Assert.Equal("health --defer-commit\nactive\ninactive\ncommit\nactive\nactive\n", await File.ReadAllTextAsync(InContainer(container, Log)));
        Assert.Equal("active\nactive", await ActiveStatesAsync(container));
    }

    [SystemdFact]
    public async Task A_failing_health_run_keeps_boot_from_completing()
    {
        await using var container = await BootWithUnitAsync(exitCode: 1);

        Assert.Equal("health --defer-commit\nactive\ninactive\ncommit\nactive\ninactive\n", await File.ReadAllTextAsync(InContainer(container, Log)));
        Assert.Equal("failed\ninactive", await ActiveStatesAsync(container));
    }

    public void Dispose() => _directory.Dispose();

    private static async Task<string> ActiveStatesAsync(SystemdContainer container) =>
        await container.RunAsync("systemctl", "show", "--property=ActiveState", "--value", "updater-health.service") + "\n" +
        await container.RunAsync("systemctl", "show", "--property=ActiveState", "--value", "boot-complete.target");

    private static string InContainer(SystemdContainer container, string path) => $"/proc/{container.LeaderPid}/root{path}";

    private async Task<SystemdContainer> BootWithUnitAsync(int exitCode)
    {
        if (HostRequirements.SystemdContainerMissing() is { } missing)
        {
            throw new InvalidOperationException($"Tests against a real systemd cannot run under CI: {missing}.");
        }

        var units = EnabledHealthService.Create(_directory.Root);

        // What the stand-in sees when it runs: its arguments, then whether the default target is already up and
        // whether boot-complete.target (which must wait for it) is not.
        var standIn = Path.Combine(_directory.Root, "updater");
        await File.WriteAllTextAsync(standIn, $$"""
            #!/bin/sh
            { echo "$*"; systemctl is-active multi-user.target boot-complete.target; } >> {{Log}} 2>&1
            exit {{exitCode}}

            """);
        File.SetUnixFileMode(standIn, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
                                      UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        var machine = $"updater-hc-svc{exitCode}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
        return await SystemdContainer.BootAsync(
            HostRequirements.SystemdRoot, machine,
            $"--bind-ro={units}:/etc/systemd/system.control", $"--bind-ro={standIn}:/usr/bin/updater");
    }
}
