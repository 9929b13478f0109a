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
}
