// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using Updater.Daemon;
using Updater.DBus;

namespace Updater.Cli;

/// <summary>`updater dbus-service`: the D-Bus API (docs/dbus/), run by dist/updater-dbus.service when the bus activates it.</summary>
internal static class DBusServiceCommand
{
    public static Command Create()
    {
        var address = new Option<string?>("--bus-address") { Description = "D-Bus address to serve on instead of the system bus (tests, a private bus)" };
        var command = new Command("dbus-service", $"Serve the D-Bus API ({UpdaterBus.BusName}) until stopped; started by the bus on the first call") { address };
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var log = new JournalLog();
            var calls = new DeviceCalls(parse.GetValue(GlobalOptions.Config)!, parse.GetValue(GlobalOptions.BootedSlot), log);
            return await DBusService.RunAsync(parse.GetValue(address), calls, log, ct).ConfigureAwait(false);
        }, ct));
        return command;
    }
}
