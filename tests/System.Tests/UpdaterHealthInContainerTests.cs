// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Text.Json;

namespace System.Tests;

/// <summary>
/// The shipped binary — `updater` published with NativeAOT, as tests/publish-aot.sh makes it — run inside the
/// container with nsenter, on a trial boot of slot B, against units that are active, failed, still activating and
/// missing. Its slots are files and its grubenv a file made and read back with the real grub-editenv on the host.
/// The verdict must be the unit's, and so must what it leaves in the bootloader environment and the state directory.
/// </summary>
[Collection(SystemdCollection.Name)]
public sealed class UpdaterHealthInContainerTests(SystemdContainerFixture fixture)
{
    [UpdaterBinaryTheory]
    [InlineData("active", TestUnits.Active, null)]
    [InlineData("failed", TestUnits.Failed, $"unit {TestUnits.Failed} failed (result exit-code, exit status 3)")]
    [InlineData("activating", TestUnits.ActivatingOneshot, $"unit {TestUnits.ActivatingOneshot} is still activating (start)")]
    [InlineData("missing", TestUnits.Missing, $"unit {TestUnits.Missing} not found")]
    public async Task A_trial_boot_is_judged_by_its_unit_and_the_verdict_lands_in_grubenv_and_the_state_directory(
        string name, string unit, string? failure)
    {
        var device = await ContainerDevice.CreateAsync(fixture.Container, name, unit);

        var run = await fixture.Container.TryRunAsync(ContainerDevice.Updater, "--config", device.Inside("update.conf"), "health", "--json");

        Assert.True(run.ExitCode == (failure is null ? 0 : 7), $"exit {run.ExitCode}: {run.Output}");
        using var outcome = JsonDocument.Parse(run.Stdout);
        var root = outcome.RootElement;
        var check = Assert.Single(root.GetProperty("report").GetProperty("checks").EnumerateArray());
        Assert.Equal(unit, check.GetProperty("target").GetString());
        Assert.Equal("systemd-unit", check.GetProperty("kind").GetString());
        Assert.True(root.GetProperty("trial").GetBoolean());
        var env = new GrubEnvFile(device.OnHost("grubenv")).List();
        if (failure is null)
        {
            Assert.Equal(("pass", "committed"), (root.GetProperty("verdict").GetString(), root.GetProperty("action").GetString()));
            Assert.Equal("1 0 0", GrubEnvFile.SlotState(env, "B"));
            Assert.False(File.Exists(device.OnHost("state/health-failure.json")));
            Assert.False(File.Exists(device.OnHost("grubenv-at-reboot")));
            return;
        }

        Assert.Equal(("fail", "marked-bad"), (root.GetProperty("verdict").GetString(), root.GetProperty("action").GetString()));
        Assert.Equal(failure, check.GetProperty("reason").GetString());
        Assert.Equal("0 0 0", GrubEnvFile.SlotState(env, "B"));
        Assert.Equal("1 0 0", GrubEnvFile.SlotState(env, "A"));
        using (var recorded = JsonDocument.Parse(await File.ReadAllTextAsync(device.OnHost("state/health-failure.json"))))
        {
            var failed = Assert.Single(recorded.RootElement.GetProperty("failed_checks").EnumerateArray());
            Assert.Equal((unit, failure), (failed.GetProperty("target").GetString(), failed.GetProperty("reason").GetString()));
        }
        // The reboot command ran, and only after the bootloader write and the record were on disk.
        Assert.Equal("0 0 0", new GrubEnvFile(device.OnHost("grubenv-at-reboot")).SlotState("B"));
        Assert.True(File.Exists(device.OnHost("failure-at-reboot.json")));

        // GRUB now boots A; there the binary records the rollback and why.
        var backRun = await fixture.Container.TryRunAsync(
            ContainerDevice.Updater, "--config", device.Inside("update.conf"), "--booted-slot", "A", "health", "--json", "--no-reboot");
        Assert.True(backRun.ExitCode == 7, $"exit {backRun.ExitCode}: {backRun.Output}"); // A runs the same units, so it fails too: reported only
        using var back = JsonDocument.Parse(backRun.Stdout);
        Assert.Equal("reported", back.RootElement.GetProperty("action").GetString());
        var rollback = back.RootElement.GetProperty("rollback_recorded");
        Assert.Equal(("B", "health-failed"), (rollback.GetProperty("from_slot").GetString(), rollback.GetProperty("reason").GetString()));
        Assert.Contains(failure, rollback.GetProperty("explanation").GetString(), StringComparison.Ordinal);
        Assert.True(File.Exists(device.OnHost("state/rollback.json")));
        Assert.Equal("1 0 0", new GrubEnvFile(device.OnHost("grubenv")).SlotState("A"));
    }
}
