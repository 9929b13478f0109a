// SPDX-License-Identifier: Apache-2.0
using Tmds.DBus.Protocol;

namespace HealthCheck.Running;

/// <summary>Settings of a <see cref="HealthRunner"/> that are not part of any one check.</summary>
public sealed record HealthRunnerOptions
{
    /// <summary>How long a whole run may take unless configured: longer than any sane boot, shorter than a watchdog's patience.</summary>
    public static readonly TimeSpan DefaultOverallTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The D-Bus address where systemd is asked about units, such as <c>unix:path=/run/dbus/system_bus_socket</c>.
    /// Null means the system bus (<c>DBUS_SYSTEM_BUS_ADDRESS</c>, or the standard socket).
    /// </summary>
    public string? SystemBusAddress { get; init; }

    /// <summary>
    /// The deadline of the whole run. Checks still running when it passes are stopped and fail with a reason that
    /// says so; the report is still produced, so a hung check cannot hold back the verdict.
    /// </summary>
    public TimeSpan OverallTimeout { get; init; } = DefaultOverallTimeout;

    internal string ResolveSystemBusAddress() =>
        SystemBusAddress ?? DBusAddress.System ?? "unix:path=/run/dbus/system_bus_socket";
}
