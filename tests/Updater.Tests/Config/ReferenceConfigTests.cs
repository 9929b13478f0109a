// SPDX-License-Identifier: Apache-2.0
using Updater.Config;

namespace Updater.Tests.Config;

public class ReferenceConfigTests
{
    /// <summary>The documented reference update.conf at the top of the repository must stay valid.</summary>
    [Fact]
    public void The_reference_update_conf_parses()
    {
        var config = UpdaterConfig.Load(Path.Combine(RepositoryPaths.Root, "update.conf"));
        Assert.Equal("acme-gateway-v1", config.Compatible);
        Assert.Equal(["A", "B"], config.Slots.Bootnames);
        Assert.Equal(Updater.Image.ImageInfo.DefaultPath, config.ImageInfo);
        Assert.Equal(("/etc/updater/health.d", "systemctl reboot", CommittedFailurePolicy.Report, null, TimeSpan.FromMinutes(5)),
            (config.Health.ChecksDirectory, config.Health.RebootCommand, config.Health.OnCommittedFailure, config.Health.BusAddress, config.Health.Timeout));
    }

    /// <summary>The commented alternatives of the other backends parse too, in place of the grub- keys.</summary>
    [Theory]
    [InlineData("uboot")]
    [InlineData("systemd-boot")]
    [InlineData("efi")]
    public void The_reference_keys_of_the_other_backends_parse(string backend)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "update.conf"))
            .Where(line => !line.StartsWith("grub-", StringComparison.Ordinal))
            .Select(line => line.StartsWith($"# {backend}-", StringComparison.Ordinal) ? line[2..] : line)
            .Select(line => line == "bootloader = grub" ? $"bootloader = {backend}" : line);
        using var dir = new TestSupport.TempDirectory();
        string path = dir.Path("update.conf");
        File.WriteAllLines(path, lines);
        var config = UpdaterConfig.Load(path);
        Assert.Equal(backend, config.Bootloader);
    }

    /// <summary>The commented hook examples parse too, uncommented: what an operator copies works.</summary>
    [Fact]
    public void The_reference_hook_examples_parse()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "update.conf"))
            .Select(line => line.StartsWith("# pre-install =", StringComparison.Ordinal) || line.StartsWith("# post-install =", StringComparison.Ordinal)
                || line.StartsWith("# mount =", StringComparison.Ordinal) || line.StartsWith("# timeout =", StringComparison.Ordinal) || line == "# [hooks.rootfs]" ? line[2..] : line)
            .ToList();
        using var dir = new TestSupport.TempDirectory();
        string path = dir.Path("update.conf");
        File.WriteAllLines(path, lines);
        var config = UpdaterConfig.Load(path);
        Assert.Equal("/usr/lib/acme/check-battery", config.Hooks.Install.PreInstall);
        Assert.Equal("/usr/lib/acme/migrate-data", config.Hooks.Install.PostInstall);
        Assert.Equal(TimeSpan.FromMinutes(5), config.Hooks.Install.Timeout);
        Assert.True(config.Hooks.ByClass["rootfs"].MountImage);
        Assert.Equal(TimeSpan.FromMinutes(2), config.Hooks.ByClass["rootfs"].Timeout);
        Assert.True(UpdaterConfig.Load(Path.Combine(RepositoryPaths.Root, "update.conf")).Hooks.Install.PreInstall is null);
    }
}
