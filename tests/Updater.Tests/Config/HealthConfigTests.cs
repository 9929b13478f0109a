// SPDX-License-Identifier: Apache-2.0
using Updater.Config;

namespace Updater.Tests.Config;

public class HealthConfigTests
{
    /// <summary>The smallest valid update.conf, ending in an empty line: a test appends the section it is about.</summary>
    internal const string Base = """
        [system]
        compatible = acme-gateway
        bootloader = grub
        grub-env = /boot/efi/EFI/BOOT/grubenv

        [slot.rootfs.0]
        device = /dev/vda2
        bootname = A

        [slot.rootfs.1]
        device = /dev/vda3
        bootname = B

        """;

    [Fact]
    public void Without_a_health_section_every_key_has_its_default()
    {
        var health = UpdaterConfig.Parse(Base, "update.conf").Health;
        Assert.Equal("/etc/updater/health.d", health.ChecksDirectory);
        Assert.Equal("systemctl reboot", health.RebootCommand);
        Assert.Equal(CommittedFailurePolicy.Report, health.OnCommittedFailure);
        Assert.Null(health.BusAddress);
        Assert.Equal(TimeSpan.FromMinutes(5), health.Timeout);
    }

    [Fact]
    public void Every_key_is_read()
    {
        var health = UpdaterConfig.Parse(Base + """
            [health]
            checks-dir = /usr/lib/updater/health.d
            reboot-command = /sbin/reboot -f
            on-committed-failure = rollback
            bus-address = unix:path=/run/dbus/system_bus_socket
            timeout = 90s
            """, "update.conf").Health;
        Assert.Equal("/usr/lib/updater/health.d", health.ChecksDirectory);
        Assert.Equal("/sbin/reboot -f", health.RebootCommand);
        Assert.Equal(CommittedFailurePolicy.Rollback, health.OnCommittedFailure);
        Assert.Equal("unix:path=/run/dbus/system_bus_socket", health.BusAddress);
        Assert.Equal(TimeSpan.FromSeconds(90), health.Timeout);
    }

    [Theory]
    [InlineData("checks-dir = health.d", "update.conf:14: key 'checks-dir' must be an absolute path, found 'health.d'")]
    [InlineData("reboot-command =", "update.conf:14: key 'reboot-command' is empty")]
    [InlineData("on-committed-failure = reboot", "update.conf:14: key 'on-committed-failure' is 'reboot', expected one of: report, rollback")]
    [InlineData("bus-address = /run/dbus/system_bus_socket", "update.conf:14: key 'bus-address' is '/run/dbus/system_bus_socket', expected a D-Bus address")]
    [InlineData("timeout = soon", "update.conf:14: key 'timeout' is 'soon', expected a duration")]
    [InlineData("timeout = 0s", "update.conf:14: key 'timeout' is '0s', expected a duration")]
    [InlineData("timeout = 2d", "update.conf:14: key 'timeout' is '2d', expected a duration")]
    [InlineData("checks_dir = /etc/updater/health.d", "update.conf:14: unknown key 'checks_dir' in [health]")]
    [InlineData("[check.app]", "update.conf:13: unknown section [check.app]")]
    public void Each_error_names_file_line_and_key(string line, string expected)
    {
        string text = Base + (line.StartsWith('[') ? line + "\ntype = command\n" : "[health]\n" + line + "\n");
        var e = Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(text, "update.conf"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCode.Config, e.ExitCode);
    }
}
