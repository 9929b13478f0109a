// SPDX-License-Identifier: Apache-2.0
using Tmds.DBus.Protocol;
using Updater.Daemon;

namespace Updater.DBus;

/// <summary>
/// `updater dbus-service`: owns io.github.updater.Updater1 on the system bus (or the bus given) and serves
/// the object until SIGTERM or until the bus goes away. A stop cancels a running install (its journal
/// resumes it when installed again) and waits for it to end, so Completed is sent before the name is released.
/// </summary>
internal static class DBusService
{
    public static async Task<int> RunAsync(string? busAddress, DeviceCalls calls, JournalLog log, CancellationToken cancellationToken)
    {
        string address = busAddress ?? DBusAddress.System
            ?? throw new UpdaterException(ExitCode.Io, "no system bus address: set DBUS_SYSTEM_BUS_ADDRESS or pass --bus-address");
        using var connection = new DBusConnection(address);
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DBusConnectFailedException or DBusConnectionException or IOException)
        {
            throw new UpdaterException(ExitCode.Io, $"cannot connect to the bus at {address}: {e.Message}", e);
        }
        var state = new OperationState();
        var service = new UpdaterBusObject(connection, calls, state, log, TimeProvider.System, cancellationToken);
        connection.AddMethodHandler(service);
        bool owned;
        try
        {
            owned = await connection.TryRequestNameAsync(UpdaterBus.BusName, RequestNameOptions.None).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException e)
        {
            // The bus policy decides who may own the name: only root (dist/dbus-1/system.d/).
            throw new UpdaterException(ExitCode.Io, $"the bus refused the name {UpdaterBus.BusName}: {e.ErrorName}: {e.ErrorMessage}", e);
        }
        if (!owned)
        {
            throw new UpdaterException(ExitCode.Refused, $"another process owns {UpdaterBus.BusName} on the bus at {address}");
        }
        log.Info($"serving {UpdaterBus.BusName} at {UpdaterBus.ObjectPath}");

        var disconnected = connection.DisconnectedAsync();
        try
        {
            await Task.WhenAny(disconnected, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            await service.DrainAsync().ConfigureAwait(false);
        }
        if (!cancellationToken.IsCancellationRequested)
        {
            var reason = disconnected.IsCompletedSuccessfully ? disconnected.Result : null;
            // Exit non-zero: systemd restarts the service (Restart=on-failure) once the bus is back.
            throw new UpdaterException(ExitCode.Io, $"lost the bus connection{(reason is null ? "" : $": {reason.Message}")}");
        }
        log.Info("stopping");
        return 0;
    }
}
