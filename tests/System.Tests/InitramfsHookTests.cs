// SPDX-License-Identifier: Apache-2.0
namespace System.Tests;

/// <summary>
/// dist/initramfs-tools/scripts/local-top/updater-slot, run by /bin/sh as initramfs-tools runs it, with the
/// kernel command line and /conf/param.conf at paths of the test's own: the slot the bootloader names becomes
/// ROOT, a root= of the operator wins, and anything else chooses nothing.
/// </summary>
public sealed class InitramfsHookTests : IDisposable
{
    private readonly TempDirectory _dir = new("initramfs-hook-");

    public void Dispose() => _dir.Dispose();

    private async Task<string> RunAsync(string cmdline, string? confD = null)
    {
        Directory.CreateDirectory(_dir.Path("conf.d"));
        if (confD is not null)
        {
            File.WriteAllText(_dir.Path("conf.d/updater-slot"), confD);
        }
        File.WriteAllText(_dir.Path("cmdline"), cmdline + "\n");
        string param = _dir.Path("param.conf");
        File.Delete(param);
        var start = ProcessRunner.StartInfo("/bin/sh", RepositoryPaths.Dist("initramfs-tools/scripts/local-top/updater-slot"));
        start.Environment["UPDATER_SLOT_CMDLINE"] = _dir.Path("cmdline");
        start.Environment["UPDATER_SLOT_PARAM_CONF"] = param;
        start.Environment["UPDATER_SLOT_CONF_DIR"] = _dir.Path("conf.d");
        var result = await ProcessRunner.RunAsync(start);
        Assert.True(result.ExitCode == 0, result.Output);
        return File.Exists(param) ? File.ReadAllText(param) : "";
    }

    [Theory]
    [InlineData("initrd=\\a\\initrd.img updater.slot=A console=ttyS0 panic=5", "ROOT=/dev/disk/by-partlabel/rootfs-a\n")]
    [InlineData("updater.slot=B quiet", "ROOT=/dev/disk/by-partlabel/rootfs-b\n")]
    [InlineData("updater.slot=B root=/dev/sda7", "")]
    [InlineData("root=/dev/sda7 updater.slot=A", "")]
    [InlineData("quiet splash", "")]
    [InlineData("updater.slot=C", "")]
    [InlineData("updater.slot=A;reboot", "")]
    public async Task The_slot_on_the_command_line_becomes_the_root_device(string cmdline, string expected) =>
        Assert.Equal(expected, await RunAsync(cmdline));

    [Fact]
    public async Task Partition_names_of_another_layout_are_taken_from_the_configuration() =>
        Assert.Equal("ROOT=/dev/disk/by-partlabel/system1\n", await RunAsync("updater.slot=B", "UPDATER_SLOT_PARTLABEL_A=system0\nUPDATER_SLOT_PARTLABEL_B=system1\n"));

    [Fact]
    public async Task Asked_for_its_prerequisites_it_names_none()
    {
        var result = await ProcessRunner.RunAsync("/bin/sh", RepositoryPaths.Dist("initramfs-tools/scripts/local-top/updater-slot"), "prereqs");
        Assert.Equal("", result.Stdout.Trim());
    }
}
