using HealthCheck.Definitions;
using HealthCheck.Running;

namespace HealthCheck.Tests.Checks;

public sealed class SystemdBusAddressTests
{
    [Fact]
    public async Task A_bus_that_is_not_there_fails_the_check_naming_the_address()
    {
        var address = $"unix:path=/tmp/no-such-bus-{Guid.NewGuid():N}";
        var check = new HealthCheckDefinition("net", HealthCheckKind.SystemdUnit, "systemd-networkd.service", "net.conf:1");

        var report = await new HealthRunner(new HealthRunnerOptions { SystemBusAddress = address }).RunAsync([check]);

        var result = Assert.Single(report.Checks);
        Assert.False(result.Passed);
        Assert.StartsWith($"cannot reach systemd over D-Bus at {address}: ", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_address_the_system_bus_is_used()
    {
        var expected = Environment.GetEnvironmentVariable("DBUS_SYSTEM_BUS_ADDRESS") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : "unix:path=/var/run/dbus/system_bus_socket";

        Assert.Equal(expected, new HealthRunnerOptions().ResolveSystemBusAddress());
    }
}
