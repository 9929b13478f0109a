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
