// SPDX-License-Identifier: Apache-2.0
using Tmds.DBus.Protocol;

namespace HealthCheck.Checks;

/// <summary>
/// The few calls to systemd's manager (<c>org.freedesktop.systemd1</c>) a unit check needs, over one D-Bus
/// connection. Tmds.DBus.Protocol's calls take no token, so each is abandoned with <c>WaitAsync</c> on
/// cancellation and the connection disposed, which ends any call still outstanding.
/// </summary>
internal sealed class SystemdManagerClient : IDisposable
{
    private const string Destination = "org.freedesktop.systemd1";
    private const string ManagerPath = "/org/freedesktop/systemd1";
    private const string ManagerInterface = "org.freedesktop.systemd1.Manager";
    private const string PropertiesInterface = "org.freedesktop.DBus.Properties";
    private const string UnitInterface = "org.freedesktop.systemd1.Unit";
    private const string ServiceInterface = "org.freedesktop.systemd1.Service";

    private readonly DBusConnection _connection;

    private SystemdManagerClient(DBusConnection connection) => _connection = connection;

    /// <param name="busAddress">A D-Bus address such as <c>unix:path=/run/dbus/system_bus_socket</c>.</param>
    public static async Task<SystemdManagerClient> ConnectAsync(string busAddress, CancellationToken cancellationToken)
    {
        var connection = new DBusConnection(busAddress);
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
            return new SystemdManagerClient(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The unit's state. LoadUnit rather than GetUnit: it also answers for units that are not loaded at the
    /// moment (load state not-found, or inactive ones systemd has unloaded), where GetUnit only says "no such unit".
    /// </summary>
    public async Task<SystemdUnitStatus> GetUnitStatusAsync(string unit, CancellationToken cancellationToken)
    {
        var path = await CallAsync(LoadUnitMessage(unit), static (message, _) => message.GetBodyReader().ReadObjectPathAsString(), cancellationToken)
            .ConfigureAwait(false);

        var unitProperties = await CallAsync(GetAllMessage(path, UnitInterface), ReadProperties, cancellationToken).ConfigureAwait(false);
        var status = new SystemdUnitStatus(
            unit,
            GetString(unitProperties, "LoadState"),
            GetString(unitProperties, "ActiveState"),
            GetString(unitProperties, "SubState"));

        // The Service interface exists on services only; its properties tell a oneshot that ran from one that did not.
        if (!unit.EndsWith(".service", StringComparison.Ordinal) || status.LoadState != "loaded")
        {
            return status;
        }

        var service = await CallAsync(GetAllMessage(path, ServiceInterface), ReadProperties, cancellationToken).ConfigureAwait(false);
        return status with
        {
            ServiceType = GetString(service, "Type"),
            ServiceResult = GetString(service, "Result"),
            ExecMainCode = service.TryGetValue("ExecMainCode", out var code) ? code.GetInt32() : 0,
            ExecMainStatus = service.TryGetValue("ExecMainStatus", out var exit) ? exit.GetInt32() : 0,
            ExecMainExitTimestamp = service.TryGetValue("ExecMainExitTimestamp", out var ended) ? ended.GetUInt64() : 0,
        };
    }

    public void Dispose() => _connection.Dispose();

    private Task<T> CallAsync<T>(MessageBuffer message, MessageValueReader<T> reader, CancellationToken cancellationToken) =>
        _connection.CallMethodAsync(message, reader).WaitAsync(cancellationToken);

    private MessageBuffer LoadUnitMessage(string unit)
    {
        using var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Destination, ManagerPath, ManagerInterface, "LoadUnit", "s");
        writer.WriteString(unit);
        return writer.CreateMessage();
    }

    private MessageBuffer GetAllMessage(string path, string @interface)
    {
        using var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Destination, path, PropertiesInterface, "GetAll", "s");
        writer.WriteString(@interface);
        return writer.CreateMessage();
    }

    private static Dictionary<string, VariantValue> ReadProperties(Message message, object? state) =>
        message.GetBodyReader().ReadDictionaryOfStringToVariantValue();

    private static string GetString(Dictionary<string, VariantValue> properties, string name) =>
        properties.TryGetValue(name, out var value) ? value.GetString() : "";
}
