// SPDX-License-Identifier: Apache-2.0
using Updater.Fleet;

namespace Updater.Tests.Fleet;

/// <summary>The fleet knows a device by systemd's application-specific id, never by its raw machine id.</summary>
public sealed class FleetDeviceIdTests
{
    /// <summary>The id of the test devices' machine id 0123...cdef, from systemd's derivation (computed independently, with Python's hmac).</summary>
    public const string OfTestMachineId = "5667f72ed768477791d5880821a485ed";

    [Fact]
    public void Matches_systemd_id128_app_specific_for_this_host()
    {
        string machineId = File.ReadAllText("/etc/machine-id").Trim();
        string systemd = ProcessRunner.RunChecked("systemd-id128", "machine-id", $"--app-specific={FleetDeviceId.ApplicationId}").Stdout.Trim();

        Assert.Equal(systemd, FleetDeviceId.Of(machineId, "/etc/machine-id"));
        Assert.NotEqual(machineId, systemd);
    }

    [Fact]
    public void Is_stable_and_never_the_raw_machine_id() =>
        Assert.Equal(OfTestMachineId, FleetDeviceId.Of("0123456789abcdef0123456789abcdef", "test"));

    [Theory]
    [InlineData("uninitialized", "the machine id is 'uninitialized'")]
    [InlineData("00000000000000000000000000000000", "not a machine id")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF", "not a machine id")]
    [InlineData("device-7", "not a machine id")]
    public void An_uninitialized_or_malformed_machine_id_is_a_configuration_error(string machineId, string expected)
    {
        var e = Assert.Throws<UpdaterException>(() => FleetDeviceId.Of(machineId, "/etc/machine-id"));
        Assert.Equal(ExitCode.Config, e.ExitCode);
        Assert.StartsWith($"/etc/machine-id: {expected}", e.Message, StringComparison.Ordinal);
    }
}
