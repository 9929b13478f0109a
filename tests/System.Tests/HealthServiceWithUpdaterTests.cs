// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Runtime.Versioning;

namespace System.Tests;

/// <summary>
/// dist/updater-health.service and updater-commit.service as shipped, running the published `updater` in a real
/// boot of the container, on the trial boot of slot B: systemd starts the checks after the default target and
/// before boot-complete.target, the commit after it; the binary asks systemd about units over the system bus,
/// and the verdict lands in the grubenv and the state directory. Only the binary's path differs from a device
/// (drop-ins point ExecStart= at it); update.conf is at its default place, /etc/updater.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class HealthServiceWithUpdaterTests : IDisposable
{
    private readonly TempDirectory _directory = new("health-service-updater-");

    private string Var(string relative) => Path.Combine(_directory.Root, "var", relative);

    [UpdaterBinaryTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_service_commits_a_healthy_trial_and_marks_a_sick_one_bad_before_boot_completes(bool healthy)
    {
        await using var container = await BootAsync(healthy);

        string service = await container.RunAsync("systemctl", "show", "--property=ActiveState", "--value", "updater-health.service") + " " +
                         await container.RunAsync("systemctl", "show", "--property=ExecMainStatus", "--value", "updater-health.service");
        string commit = await container.RunAsync("systemctl", "show", "--property=ActiveState", "--value", "updater-commit.service");
        string bootComplete = await container.RunAsync("systemctl", "show", "--property=ActiveState", "--value", "boot-complete.target");
        string journal = (await container.TryRunAsync("journalctl", "--no-pager", "-u", "updater-health.service", "-u", "updater-commit.service")).Output;
        var env = new GrubEnvFile(Var("grubenv")).List();
        if (healthy)
        {
            Assert.True(service == "active 0", $"{service}\n{journal}");
            Assert.Equal("active", bootComplete);
            Assert.True(commit == "active", $"{commit}\n{journal}");
            Assert.Equal("1 0 0", GrubEnvFile.SlotState(env, "B"));
            Assert.False(File.Exists(Var("state/health-failure.json")));
            Assert.False(File.Exists(Var("state/health-pass.json")));
            Assert.False(File.Exists(Var("reboot-requested")));
            Assert.Contains("verdict: pass: slot B passed its checks; the commit waits for boot-complete.target", journal, StringComparison.Ordinal);
            Assert.Contains("verdict: pass: slot B passed its trial boot, boot-complete.target was reached, and it is committed", journal, StringComparison.Ordinal);
            return;
        }

        Assert.True(service == "failed 7", $"{service}\n{journal}");
        Assert.Equal("inactive", bootComplete);
        Assert.Equal("0 0 0", GrubEnvFile.SlotState(env, "B"));
        Assert.Equal("1 0 0", GrubEnvFile.SlotState(env, "A"));
        Assert.Contains("\"reason\": \"unit hc-absent.service not found\"", await File.ReadAllTextAsync(Var("state/health-failure.json")), StringComparison.Ordinal);
        Assert.True(File.Exists(Var("reboot-requested")), journal);
        Assert.Contains("FAIL app", journal, StringComparison.Ordinal);
        Assert.True(commit == "active", $"{commit}\n{journal}");
        Assert.Contains("is not on a trial boot awaiting its verdict; nothing to commit", journal, StringComparison.Ordinal);
    }

    /// <summary>
    /// The checks pass, but a unit of the device maker's that is RequiredBy=boot-complete.target fails: the target
    /// is not reached, and the commit service rolls the trial back instead of committing it.
    /// </summary>
    [UpdaterBinaryFact]
    public async Task A_unit_required_by_boot_complete_target_vetoes_the_commit()
    {
        await using var container = await BootAsync(healthy: true, veto: true);

        string bootComplete = await container.RunAsync("systemctl", "show", "--property=ActiveState", "--value", "boot-complete.target");
        string journal = (await container.TryRunAsync("journalctl", "--no-pager", "-u", "updater-health.service", "-u", "updater-commit.service")).Output;
        var env = new GrubEnvFile(Var("grubenv")).List();
        Assert.Equal("inactive", bootComplete);
        Assert.Contains("the commit waits for boot-complete.target", journal, StringComparison.Ordinal);
        Assert.True(GrubEnvFile.SlotState(env, "B") == "0 0 0", journal);
        Assert.Equal("1 0 0", GrubEnvFile.SlotState(env, "A"));
        string failure = await File.ReadAllTextAsync(Var("state/health-failure.json"));
        Assert.Contains("\"name\": \"boot-complete.target\"", failure, StringComparison.Ordinal);
        Assert.True(File.Exists(Var("reboot-requested")), journal);
    }

    public void Dispose() => _directory.Dispose();

    private async Task<SystemdContainer> BootAsync(bool healthy, bool veto = false)
    {
        if (HostRequirements.UpdaterBinaryMissing() is { } missing)
        {
            throw new InvalidOperationException($"Tests of the published updater cannot run under CI: {missing}.");
        }

        // The unit as `systemctl enable` installs it, and a drop-in that runs the published binary.
        var units = EnabledHealthService.Create(_directory.Root);
        var dropIn = Directory.CreateDirectory(Path.Combine(units, "updater-health.service.d")).FullName;
        await File.WriteAllTextAsync(Path.Combine(dropIn, "binary.conf"), "[Service]\nExecStart=\nExecStart=/usr/lib/updater/updater health --defer-commit\n");
        var commitDropIn = Directory.CreateDirectory(Path.Combine(units, "updater-commit.service.d")).FullName;
        await File.WriteAllTextAsync(Path.Combine(commitDropIn, "binary.conf"), "[Service]\nExecStart=\nExecStart=/usr/lib/updater/updater commit\n");
        if (veto)
        {
            // A device maker's own gate on boot completion, as systemd-boot-check-no-failures.service is.
            await File.WriteAllTextAsync(Path.Combine(units, "vendor-gate.service"),
                "[Unit]\nDefaultDependencies=no\nBefore=boot-complete.target\n[Service]\nType=oneshot\nExecStart=/bin/false\n");
            var requires = Directory.CreateDirectory(Path.Combine(units, "boot-complete.target.requires")).FullName;
            File.CreateSymbolicLink(Path.Combine(requires, "vendor-gate.service"), "../vendor-gate.service");
        }

        // /etc/updater: update.conf and the checks. The journal always runs; the application only on a healthy boot.
        var etc = Directory.CreateDirectory(Path.Combine(_directory.Root, "etc"));
        Directory.CreateDirectory(Path.Combine(etc.FullName, "health.d"));
        await File.WriteAllTextAsync(Path.Combine(etc.FullName, "health.d", "10-app.conf"), $"""
            [check.journald]
            type = systemd-unit
            unit = systemd-journald.service

            [check.app]
            type = systemd-unit
            unit = {(healthy ? "dbus.service" : "hc-absent.service")}
            timeout = 5s

            """);
        await File.WriteAllTextAsync(Path.Combine(etc.FullName, "update.conf"), ContainerUpdateConf.Text("B"));

        // /var/lib/updater, writable and shared with the host: slots, grubenv on B's counted trial, the state.
        Directory.CreateDirectory(Var("."));
        foreach (var slot in new[] { "slot-a.img", "slot-b.img" })
        {
            await File.WriteAllBytesAsync(Var(slot), new byte[1 << 20]);
        }
        GrubEnvFile.Create(Var("grubenv")).Set("ORDER=B A", "A_OK=1", "A_TRY=0", "A_TRIAL=0", "B_OK=1", "B_TRY=1", "B_TRIAL=1");

        var machine = $"updater-hc-real{(veto ? "veto" : healthy ? "ok" : "bad")}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
        return await SystemdContainer.BootAsync(
            HostRequirements.SystemdRoot, machine,
            $"--bind-ro={units}:/etc/systemd/system.control",
            $"--bind-ro={HostRequirements.UpdaterBinaryDirectory}:/usr/lib/updater",
            $"--bind-ro={etc.FullName}:/etc/updater",
            $"--bind={Var(".")}:/var/lib/updater");
    }
}
