// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Runtime.Versioning;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace System.Tests;

/// <summary>
/// dist/updater.service, updater-check.service and updater-health.service as shipped, sandbox and all, under the
/// container's real systemd 252, running the published binary (a drop-in points ExecStart= at it; update.conf
/// stays at /etc/updater). They must score as hardened, still install into file slots, give a health verdict,
/// roll back and poll; and text a hostile channel chose must reach neither the notify socket nor the journal
/// as anything but escaped text.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class HardenedUnitsTests(ITestOutputHelper output) : IAsyncLifetime
{
    // What a served channel controls without any key: a signature's key id, quoted by the "unknown key" error.
    private const string HostileKeyId = "x\nWATCHDOG=trigger\n\n<0>forged\r\n<0>forged \u001b]0;owned\u0007";

    private readonly TempDirectory _directory = new("hardened-units-");
    private SystemdContainer _container = null!;
    private string _units = "";

    private string Host(string relative) => Path.Combine(_directory.Root, relative);

    public async Task InitializeAsync()
    {
        if (HostRequirements.UpdaterBinaryMissing() is { } missing)
        {
            throw new InvalidOperationException($"Tests of the published updater cannot run here: {missing}.");
        }

        _units = Directory.CreateDirectory(Host("system.control")).FullName;
        foreach (var unit in new[] { "updater.service", "updater-check.service", "updater-health.service", "updater-commit.service", "updater-check.timer", "updater-dbus.service" })
        {
            File.Copy(RepositoryPaths.Dist(unit), Path.Combine(_units, unit));
        }

        var etc = Directory.CreateDirectory(Host("etc")).FullName;
        File.Copy(TestKeys.RootPath, Path.Combine(etc, "root.json"));
        // The running image's own anti-rollback floor (docs/anti-rollback.md): without one nothing installs.
        await File.WriteAllTextAsync(Path.Combine(etc, "image-info"), "[image]\nsecurity-version = 0\n");
        Directory.CreateDirectory(Path.Combine(etc, "health.d"));
        await File.WriteAllTextAsync(Path.Combine(etc, "health.d", "10-journal.conf"), "[check.journald]\ntype = systemd-unit\nunit = systemd-journald.service\n");
        await File.WriteAllTextAsync(Path.Combine(etc, "update.conf"), Config("/etc/updater/good.channel"));
        await File.WriteAllTextAsync(Path.Combine(etc, "hostile.conf"), Config("/etc/updater/hostile.channel"));
        await File.WriteAllTextAsync(Path.Combine(etc, "broken.conf"), "[system]\nno-such-key = 1\n");
        // A channel file as a server could serve it: the payload is never parsed, the malformed key id stops it first
        // (a key id is checked to be hex before anything could quote it).
        string payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("{}"));
        string keyId = Json(HostileKeyId);
        await File.WriteAllTextAsync(Path.Combine(etc, "hostile.channel"),
            $$"""{"payload":"{{payload}}","signatures":[{"key_id":"{{keyId}}","algorithm":"ed25519","signature":"{{new string('0', 128)}}"}]}""");

        // /var/lib/updater: slots as files and the state directory; the ESP at /boot/efi: grubenv with A committed and booted.
        var var = Directory.CreateDirectory(Host("var")).FullName;
        var esp = Directory.CreateDirectory(Host("esp")).FullName;
        Directory.CreateDirectory(Host("esp/EFI/debian"));
        foreach (var slot in new[] { "slot-a.img", "slot-b.img" })
        {
            await File.WriteAllBytesAsync(Path.Combine(var, slot), new byte[1 << 20]);
        }
        GrubEnvFile.Create(Host(GrubEnv)).Set("ORDER=A B", "A_OK=1", "A_TRY=0", "A_TRIAL=0", "B_OK=1", "B_TRY=0", "B_TRIAL=0");
        var image = new byte[1 << 20];
        new Random(7).NextBytes(image);
        await File.WriteAllBytesAsync(Host("rootfs.img"), image);
        await ProcessRunner.RunCheckedAsync(Path.Combine(HostRequirements.UpdaterBinaryDirectory, "updater"), "bundle", "create", $"rootfs={Host("rootfs.img")}",
            "--output", Path.Combine(var, "release.bundle"), "--key", TestKeys.PrivateKeyPath, "--compatible", "container-test", "--version", "2.0.0");

        var machine = $"updater-hardened-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
        _container = await SystemdContainer.BootAsync(HostRequirements.SystemdRoot, machine,
            $"--bind-ro={_units}:/etc/systemd/system.control",
            $"--bind-ro={HostRequirements.UpdaterBinaryDirectory}:/usr/lib/updater",
            $"--bind-ro={etc}:/etc/updater",
            $"--bind={var}:/var/lib/updater",
            $"--bind={esp}:/boot/efi");
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
        _directory.Dispose();
    }

    [UpdaterBinaryFact]
    public async Task The_agent_units_score_at_most_3_0_in_systemd_analyze_security()
    {
        var scores = new Dictionary<string, double>();
        foreach (var unit in new[] { "updater.service", "updater-check.service", "updater-health.service", "updater-commit.service", "updater-dbus.service" })
        {
            var run = await _container.TryRunAsync("systemd-analyze", "security", "--no-pager", unit);
            var match = OverallExposure().Match(run.Output);
            Assert.True(match.Success, run.Output);
            scores[unit] = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            output.WriteLine($"systemd-analyze security {unit}: {match.Groups[1].Value}");
        }

        Assert.True(scores["updater.service"] <= 3.0, $"updater.service scores {scores["updater.service"]}");
        Assert.True(scores["updater-check.service"] <= 3.0, $"updater-check.service scores {scores["updater-check.service"]}");
        // The D-Bus API installs as the agent does, in the same sandbox.
        Assert.True(scores["updater-dbus.service"] <= 3.0, $"updater-dbus.service scores {scores["updater-dbus.service"]}");
        // The health service runs the device maker's check commands in its sandbox: hardened as far as they allow.
        Assert.True(scores["updater-health.service"] < 9.0, $"updater-health.service scores {scores["updater-health.service"]}");
        // The commit runs no check: what it needs is the bootloader, the state directory and one capability (efivarfs).
        Assert.True(scores["updater-commit.service"] < scores["updater-health.service"], $"updater-commit.service scores {scores["updater-commit.service"]}");
    }

    [UpdaterBinaryFact]
    public async Task A_hostile_channel_neither_trips_the_watchdog_nor_forges_an_emergency_line()
    {
        // The daemon under its own Type=notify unit, with a watchdog short enough that a forged trigger or a
        // missing ping shows within the test; its first poll runs at once and fails on the malformed key id.
        await DropInAsync("updater.service", "[Service]\nExecStart=\nExecStart=/usr/lib/updater/updater --config /etc/updater/hostile.conf daemon\nWatchdogSec=5s\n");
        await DropInAsync("updater-check.service", "[Service]\nExecStart=\nExecStart=/usr/lib/updater/updater --config /etc/updater/hostile.conf check --install\n");

        await _container.RunAsync("systemctl", "start", "updater.service");
        var check = await _container.TryRunAsync("systemctl", "start", "updater-check.service");
        // Two watchdog intervals and more: a timer-free agent must have pinged from its sleep between polls.
        await Task.Delay(TimeSpan.FromSeconds(12));

        string daemon = await ShowAsync("updater.service", "ActiveState", "SubState", "Result", "NRestarts", "StatusText");
        string journal = (await _container.TryRunAsync("journalctl", "--no-pager", "-o", "short", "-u", "updater.service", "-u", "updater-check.service")).Output;
        string emergencies = (await _container.TryRunAsync("journalctl", "--no-pager", "-q", "-p", "0", "-u", "updater.service", "-u", "updater-check.service")).Output;
        output.WriteLine(daemon);
        output.WriteLine(journal);

        Assert.True(daemon.StartsWith("active\nrunning\nsuccess\n0\n", StringComparison.Ordinal), $"{daemon}\n{journal}");
        Assert.Contains("last poll failed", daemon, StringComparison.Ordinal);
        Assert.DoesNotContain("WATCHDOG=trigger\n", daemon, StringComparison.Ordinal);
        Assert.NotEqual(0, check.ExitCode);
        Assert.Contains("signature 0 is malformed", journal, StringComparison.Ordinal);
        Assert.DoesNotContain("forged", journal, StringComparison.Ordinal);
        // systemd's own words when WATCHDOG=trigger arrives or a ping is missed.
        Assert.DoesNotContain("updater.service: Watchdog", journal, StringComparison.Ordinal);
        Assert.True(emergencies.Length == 0, $"emergency-priority lines:\n{emergencies}");
    }

    [UpdaterBinaryFact]
    public async Task A_configuration_error_fails_the_daemon_once_instead_of_restarting_it_forever()
    {
        await DropInAsync("updater.service", "[Service]\nExecStart=\nExecStart=/usr/lib/updater/updater --config /etc/updater/broken.conf daemon\n");

        await _container.TryRunAsync("systemctl", "start", "updater.service");
        await _container.WaitForActiveStateAsync("updater.service", "failed");

        // Restart= would have put it into "activating (auto-restart)" for another try in 30 s.
        Assert.Equal("failed\nfailed\nexit-code\n3", await ShowAsync("updater.service", "ActiveState", "SubState", "Result", "ExecMainStatus"));
    }

    [UpdaterBinaryFact]
    public async Task Install_health_and_rollback_work_inside_the_sandbox()
    {
        // Install (into the file slot B) under updater-check.service's sandbox, as `check --install` would.
        await DropInAsync("updater-check.service", "[Service]\nExecStart=\nExecStart=/usr/lib/updater/updater --booted-slot A install /var/lib/updater/release.bundle\n");
        await StartOneshotAsync("updater-check.service");
        Assert.Equal(await File.ReadAllBytesAsync(Host("rootfs.img")), await File.ReadAllBytesAsync(Host("var/slot-b.img")));
        Assert.Equal("B A", new GrubEnvFile(Host(GrubEnv)).List()["ORDER"]);

        // The trial boot of B: the health service commits it (grubenv and state written from its sandbox).
        await DropInAsync("updater-health.service", "[Service]\nExecStart=\nExecStart=/usr/lib/updater/updater --booted-slot B health\n");
        await StartOneshotAsync("updater-health.service");
        Assert.Equal("1 0 0", new GrubEnvFile(Host(GrubEnv)).SlotState("B"));

        // A person rolls back to A, again inside the agent's sandbox.
        await DropInAsync("updater-check.service", "[Service]\nExecStart=\nExecStart=/usr/lib/updater/updater --booted-slot B rollback\n");
        await StartOneshotAsync("updater-check.service");
        Assert.StartsWith("A", new GrubEnvFile(Host(GrubEnv)).List()["ORDER"], StringComparison.Ordinal);
    }

    private async Task StartOneshotAsync(string unit)
    {
        var run = await _container.TryRunAsync("systemctl", "start", unit);
        string journal = (await _container.TryRunAsync("journalctl", "--no-pager", "-o", "cat", "-u", unit)).Output;
        output.WriteLine(journal);
        Assert.True(run.ExitCode == 0, $"{unit}: {run.Output}\n{journal}");
    }

    private async Task DropInAsync(string unit, string text)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_units, unit + ".d")).FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "test.conf"), text);
        await _container.RunAsync("systemctl", "daemon-reload");
    }

    private async Task<string> ShowAsync(string unit, params string[] properties)
    {
        var values = new List<string>();
        foreach (var property in properties)
        {
            values.Add(await _container.RunAsync("systemctl", "show", "--value", "--property=" + property, unit));
        }
        return string.Join("\n", values);
    }

    // The grubenv where a device keeps it: on the ESP, mounted at /boot/efi, under ProtectSystem='s /boot.
    private static string Config(string channel) => ContainerUpdateConf.Text("A", "trust-root = /etc/updater/root.json\nimage-info = /etc/updater/image-info",
        $"[channel]\nname = stable\nurl = {channel}\npoll-interval = 10s\npoll-jitter = 0s\n", grubEnv: "/boot/efi/EFI/debian/grubenv");

    private const string GrubEnv = "esp/EFI/debian/grubenv";

    private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text)[1..^1];

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+\.\d)")]
    private static partial Regex OverallExposure();
}
