// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Runtime.Versioning;
using System.Text.Json;
using Xunit.Abstractions;

namespace System.Tests;

/// <summary>
/// The .deb that packaging/build-deb.sh makes: lintian clean (each override justified in the package), installed
/// with dpkg into the systemd container, where the preset enables the verdict units, the shipped units run
/// /usr/bin/updater against a device configured in /etc/updater, completion answers, and a purge keeps the
/// state directory.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class DebianPackageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Inbox = "/run/updater-deb";
    private readonly TempDirectory _directory = new("deb-");
    private SystemdContainer _container = null!;
    private string _deb = "";

    public async Task InitializeAsync()
    {
        if (HostRequirements.UpdaterBinaryMissing() is { } missing)
        {
            throw new InvalidOperationException($"Tests of the published updater cannot run here: {missing}.");
        }
        var build = await ProcessRunner.RunAsync(ProcessRunner.StartInfo("bash", Path.Combine(RepositoryPaths.Root, "packaging", "build-deb.sh"), "--out", _directory.Root),
            TimeSpan.FromMinutes(15));
        Assert.True(build.ExitCode == 0, build.Output);
        _deb = build.Stdout.Trim().Split('\n')[^1];
        Assert.True(File.Exists(_deb), build.Output);
        string machine = $"updater-deb-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
        _container = await SystemdContainer.BootAsync(HostRequirements.SystemdRoot, machine, $"--bind-ro={_directory.Root}:{Inbox}");
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
        _directory.Dispose();
    }

    private string Inside => $"{Inbox}/{Path.GetFileName(_deb)}";

    private string OnHost(string path) => $"/proc/{_container.LeaderPid.ToString(CultureInfo.InvariantCulture)}/root{path}";

    [UpdaterBinaryFact]
    public async Task Lintian_finds_nothing_the_package_does_not_justify()
    {
        var lintian = await ProcessRunner.RunAsync("lintian", "--tag-display-limit", "0", "--fail-on", "error,warning", _deb);
        output.WriteLine(lintian.Output);
        Assert.True(lintian.ExitCode == 0, lintian.Output);
        Assert.DoesNotMatch(@"(?m)^[EW]: ", lintian.Stdout);
    }

    [UpdaterBinaryFact]
    public async Task Installed_with_dpkg_the_units_run_the_packaged_binary_and_a_purge_keeps_the_state()
    {
        await _container.RunAsync("dpkg", "-i", Inside);

        // The install layout: the binary beside its libraries, reached through /usr/bin; the preset applied.
        string version = await _container.RunAsync("/usr/bin/updater", "--version");
        Assert.StartsWith("1.0.0+", version, StringComparison.Ordinal);
        Assert.Equal("enabled", (await _container.TryRunAsync("systemctl", "is-enabled", "updater-health.service")).Stdout.Trim());
        Assert.Equal("enabled", (await _container.TryRunAsync("systemctl", "is-enabled", "updater-commit.service")).Stdout.Trim());
        Assert.Equal("disabled", (await _container.TryRunAsync("systemctl", "is-enabled", "updater.service")).Stdout.Trim());
        Assert.Equal("drwx------", (await _container.RunAsync("stat", "-c", "%A", "/var/lib/updater")).Trim());
        Assert.True(File.Exists(OnHost("/usr/share/man/man1/updater.1.gz")));
        Assert.True(File.Exists(OnHost("/usr/share/doc/updater/health-checks.md")), "the units' Documentation= points there");
        Assert.Contains("/etc/updater/update.conf", await _container.RunAsync("cat", "/var/lib/dpkg/info/updater.conffiles"), StringComparison.Ordinal);
        string catalog = (await _container.TryRunAsync("journalctl", "--list-catalog", "--no-pager")).Output;
        Assert.Contains("updater", catalog, StringComparison.Ordinal);
        string completion = await _container.RunAsync("bash", "-c",
            "source /usr/share/bash-completion/completions/updater; COMP_WORDS=(updater ins); COMP_CWORD=1; COMP_LINE='updater ins'; COMP_POINT=11; _updater; echo \"${COMPREPLY[*]}\"");
        Assert.Equal("install", completion.Trim());

        // A device: the conffile replaced by the device maker's configuration, slots as files in the state directory.
        await ConfigureDeviceAsync();
        await _container.RunAsync("systemctl", "start", "updater-health.service");
        await _container.RunAsync("systemctl", "start", "updater-commit.service");
        string health = await _container.RunAsync("systemctl", "show", "--property=Result,ExecMainStatus", "updater-health.service");
        // What journald has received, written before it is read: under load the unit's last lines may still be in flight.
        await _container.RunAsync("journalctl", "--sync");
        string journal = (await _container.TryRunAsync("journalctl", "--no-pager", "-o", "cat", "-u", "updater-health.service")).Output;
        output.WriteLine(journal);
        Assert.Contains("Result=success", health, StringComparison.Ordinal);
        Assert.Contains("ExecMainStatus=0", health, StringComparison.Ordinal);
        Assert.Contains("verdict: pass", journal, StringComparison.Ordinal);
        var status = await _container.TryRunAsync("updater", "status", "--json");
        Assert.True(status.ExitCode == 0, status.Output);
        Assert.Equal("A", JsonDocument.Parse(status.Stdout).RootElement.GetProperty("booted_slot").GetString());

        await _container.RunAsync("dpkg", "--purge", "updater");
        Assert.False(File.Exists(OnHost("/usr/lib/updater/updater")));
        Assert.False((await _container.TryRunAsync("test", "-e", "/usr/bin/updater")).ExitCode == 0);
        Assert.True(File.Exists(OnHost("/var/lib/updater/slot-a.img")), "a purge must not delete the state directory: what the slots hold, the anti-rollback floors");
    }

    [UpdaterBinaryFact]
    public async Task The_bus_starts_the_D_Bus_API_busctl_calls_every_method_and_the_policy_leaves_others_only_reading()
    {
        await _container.RunAsync("dpkg", "-i", Inside);
        await ConfigureDeviceAsync();
        // A release for the device: a bundle and a channel offering it, files where update.conf points.
        var image = new byte[1 << 20];
        new Random(11).NextBytes(image);
        string hostImage = Path.Combine(_directory.Root, "rootfs.img");
        await File.WriteAllBytesAsync(hostImage, image);
        string updater = Path.Combine(HostRequirements.UpdaterBinaryDirectory, "updater");
        string bundle = OnHost("/var/lib/updater/release.bundle");
        await ProcessRunner.RunCheckedAsync(updater, "bundle", "create", $"rootfs={hostImage}", "--output", bundle, "--key", TestKeys.PrivateKeyPath,
            "--compatible", "container-test", "--version", "2.0.0");
        await ProcessRunner.RunCheckedAsync(updater, "channel", "create", "-o", OnHost("/var/lib/updater/stable.channel"), "-k", TestKeys.PrivateKeyPath,
            "--channel-version", "1", "--compatible", "container-test", "--release", "2.0.0", "--bundle-url", "release.bundle", "--bundle", bundle);
        await File.AppendAllTextAsync(OnHost("/etc/updater/update.conf"), "\n[channel]\nname = stable\nurl = /var/lib/updater/stable.channel\n");
        await _container.RunAsync("systemctl", "start", "updater-health.service");
        // A UI's user, in the group the package made; and one outside it.
        await _container.RunAsync("useradd", "--system", "--user-group", "--groups", "updater", "device-ui");
        Assert.Contains("updater", await _container.RunAsync("getent", "group", "updater"), StringComparison.Ordinal);
        await _container.RunAsync("systemd-run", "--unit=busmon", "-p", "StandardOutput=file:/run/busmon.json", "busctl", "--json=short", "monitor", "io.github.updater.Updater1");

        // The first call starts the service through systemd (nothing enabled it): GetStatus is `updater status --json`.
        Assert.Equal("inactive", (await _container.TryRunAsync("systemctl", "is-active", "updater-dbus.service")).Stdout.Trim());
        var status = JsonDocument.Parse(await CallAsync(null, "GetStatus")).RootElement;
        Assert.Equal(("updater.status/1", "A"), (status.GetProperty("schema").GetString(), status.GetProperty("booted_slot").GetString()));
        Assert.Equal("active", (await _container.RunAsync("systemctl", "is-active", "updater-dbus.service")).Trim());

        // Outside the group: reading is allowed, changing is refused by the bus before the service sees it.
        Assert.Contains("updater.status/1", await CallAsync("nobody", "GetStatus"), StringComparison.Ordinal);
        Assert.Contains("idle", await _container.RunAsync("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            "busctl", "get-property", Name, ObjectPath, Name, "Operation"), StringComparison.Ordinal);
        foreach (var refused in new[] { new[] { "Mark", "ss", "good", "booted" }, ["Rollback"], ["Check"], ["Install", "sa{sv}", "/var/lib/updater/release.bundle", "0"] })
        {
            var run = await TryCallAsync("nobody", refused);
            Assert.True(run.ExitCode != 0, $"{refused[0]} as nobody: {run.Output}");
            Assert.Contains("Access denied", run.Output, StringComparison.OrdinalIgnoreCase);
        }

        // In the group: everything. Mark (as the UI), Check, Install (its end as Completed), Rollback (as root).
        Assert.Contains("slot A marked good", await CallAsync("device-ui", "Mark", "ss", "good", "booted"), StringComparison.Ordinal);
        var check = JsonDocument.Parse(await CallAsync("device-ui", "Check")).RootElement;
        Assert.Equal(("updater.check/1", "2.0.0", true), (check.GetProperty("schema").GetString(), check.GetProperty("release_version").GetString(), check.GetProperty("install").GetBoolean()));
        // Install replies with nothing once started.
        var install = await TryCallAsync("device-ui", ["Install", "sa{sv}", "/var/lib/updater/release.bundle", "1", "verify", "b", "true"]);
        Assert.True(install.ExitCode == 0, install.Output);
        for (int i = 0; await CallPropertyAsync("Operation") != "\"idle\""; i++)
        {
            Assert.True(i < 600, "the install never ended");
            await Task.Delay(100);
        }
        Assert.Equal("\"\"", await CallPropertyAsync("LastError"));
        Assert.Equal(image, (await File.ReadAllBytesAsync(OnHost("/var/lib/updater/slot-b.img")))[..image.Length]);
        // Rolling "back" onto an image waiting for its trial is refused, as the command refuses it (exit code 6).
        var early = await TryCallAsync(null, ["Rollback"]);
        Assert.Contains("waiting for its trial boot", early.Output, StringComparison.Ordinal);
        Assert.Contains("slot B marked good", await CallAsync(null, "Mark", "ss", "good", "other"), StringComparison.Ordinal);
        Assert.Contains("\"B\"", await CallAsync(null, "Rollback"), StringComparison.Ordinal);
        Assert.Contains("slot B marked bad", await CallAsync(null, "Mark", "ss", "bad", "other"), StringComparison.Ordinal);

        // busctl monitor starts with a line of text ("Monitoring bus message stream."), then one JSON object per message.
        string monitored = await File.ReadAllTextAsync(OnHost("/run/busmon.json"));
        var completed = monitored.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(m => m.TryGetProperty("member", out var member) && member.GetString() == "Completed")
            .Select(m => m.GetProperty("payload").GetProperty("data")).ToList();
        output.WriteLine(string.Join("\n", completed));
        Assert.Equal(["mark", "check", "install", "rollback", "mark", "rollback", "mark"], completed.Select(c => c[0].GetString()!).ToArray());
        Assert.Equal([0, 0, 0, 6, 0, 0, 0], completed.Select(c => c[1].GetInt32()).ToArray());
        Assert.StartsWith("installed 2.0.0 into slot B", completed[2][2].GetString(), StringComparison.Ordinal);
        await _container.RunAsync("journalctl", "--sync");
        string journal = (await _container.TryRunAsync("journalctl", "--no-pager", "-o", "cat", "-u", "updater-dbus.service")).Output;
        output.WriteLine(journal);
        Assert.Contains("install of /var/lib/updater/release.bundle asked by :1.", journal, StringComparison.Ordinal);
    }

    private const string Name = "io.github.updater.Updater1";
    private const string ObjectPath = "/io/github/updater/Updater1";

    private async Task<string> CallAsync(string? user, params string[] method)
    {
        var run = await TryCallAsync(user, method);
        Assert.True(run.ExitCode == 0, $"{method[0]} as {user ?? "root"}: {run.Output}");
        if (run.Stdout.Trim().Length == 0)
        {
            return "";
        }
        return JsonDocument.Parse(run.Stdout).RootElement.GetProperty("data") is { ValueKind: JsonValueKind.Array } data && data.GetArrayLength() == 1 && data[0].ValueKind == JsonValueKind.String
            ? data[0].GetString()! : run.Stdout;
    }

    private Task<ProcessResult> TryCallAsync(string? user, string[] method)
    {
        string[] busctl = ["busctl", "--json=short", "call", Name, ObjectPath, Name, .. method];
        return _container.TryRunAsync(user is null ? busctl : ["setpriv", $"--reuid={user}", $"--regid={(user == "nobody" ? "nogroup" : user)}", user == "nobody" ? "--clear-groups" : "--init-groups", .. busctl]);
    }

    private async Task<string> CallPropertyAsync(string name) =>
        (await _container.RunAsync("busctl", "get-property", Name, ObjectPath, Name, name)).Trim()[2..];

    private async Task ConfigureDeviceAsync()
    {
        File.Copy(TestKeys.RootPath, OnHost("/etc/updater/root.json"), overwrite: true);
        Directory.CreateDirectory(OnHost("/usr/lib/updater"));
        await File.WriteAllTextAsync(OnHost("/etc/updater/image-info"), "[image]\nsecurity-version = 0\n");
        foreach (var slot in new[] { "slot-a.img", "slot-b.img" })
        {
            await File.WriteAllBytesAsync(OnHost($"/var/lib/updater/{slot}"), new byte[1 << 20]);
        }
        Directory.CreateDirectory(OnHost("/boot/efi/EFI/BOOT"));
        GrubEnvFile.Create(OnHost("/boot/efi/EFI/BOOT/grubenv")).Set("ORDER=A B", "A_OK=1", "A_TRY=0", "A_TRIAL=0", "B_OK=1", "B_TRY=0", "B_TRIAL=0");
        await File.WriteAllTextAsync(OnHost("/etc/updater/health.d/10-example.conf"), "[check.journald]\ntype = systemd-unit\nunit = systemd-journald.service\n");
        await File.WriteAllTextAsync(OnHost("/etc/updater/update.conf"), TestSupport.Systemd.ContainerUpdateConf.Text("A",
            extraSystem: "image-info = /etc/updater/image-info", grubEnv: "/boot/efi/EFI/BOOT/grubenv"));
    }
}
