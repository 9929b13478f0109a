// SPDX-License-Identifier: Apache-2.0
using System.Reflection;
using HealthCheck.Definitions;
using HealthCheck.Running;

namespace HealthCheck.Tests.Checks;

[Collection(ProcessEnvironmentCollection.Name)]
public sealed class SystemdBusAddressTests
{
    private const string Variable = "DBUS_SYSTEM_BUS_ADDRESS";

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
    public void Without_an_address_or_DBUS_SYSTEM_BUS_ADDRESS_the_standard_system_socket_is_used()
    {
        Assert.Equal("unix:path=/var/run/dbus/system_bus_socket", ResolveAsAFreshProcessWould(systemBusVariable: null));
    }

    [Fact]
    public void Without_an_address_DBUS_SYSTEM_BUS_ADDRESS_names_the_system_bus()
    {
        Assert.Equal("unix:path=/tmp/the-test-bus", ResolveAsAFreshProcessWould(systemBusVariable: "unix:path=/tmp/the-test-bus"));
    }

    [Fact]
    public void An_address_given_wins_over_DBUS_SYSTEM_BUS_ADDRESS()
    {
        Assert.Equal("unix:path=/tmp/given", new HealthRunnerOptions { SystemBusAddress = "unix:path=/tmp/given" }.ResolveSystemBusAddress());
    }

    /// <summary>
    /// <see cref="HealthRunnerOptions.ResolveSystemBusAddress"/> with no address given, in a fresh load of
    /// HealthCheck and Tmds.DBus.Protocol while the variable is <paramref name="systemBusVariable"/>: the bus
    /// library reads the variable once per process, so the test process's own copy already holds an answer.
    /// </summary>
    private static string ResolveAsAFreshProcessWould(string? systemBusVariable)
    {
        var before = Environment.GetEnvironmentVariable(Variable);
        var context = new FreshLoadContext(typeof(HealthRunnerOptions).Assembly.GetName().Name!, "Tmds.DBus.Protocol");
        Environment.SetEnvironmentVariable(Variable, systemBusVariable);
        try
        {
            var type = context.LoadFromAssemblyName(typeof(HealthRunnerOptions).Assembly.GetName()).GetType(typeof(HealthRunnerOptions).FullName!, throwOnError: true)!;
            var resolve = type.GetMethod(nameof(HealthRunnerOptions.ResolveSystemBusAddress), BindingFlags.Instance | BindingFlags.NonPublic)!;
            return (string)resolve.Invoke(Activator.CreateInstance(type), null)!;
        }
        finally
        {
            // The variable is the process's: put back as it was. The class runs in a collection of its own with
            // parallelization off, so no other test reads it meanwhile.
            Environment.SetEnvironmentVariable(Variable, before);
            context.Unload();
        }
    }
}
