// SPDX-License-Identifier: Apache-2.0
namespace Updater.DBus;

/// <summary>
/// The names of the D-Bus API (docs/dbus/io.github.updater.Updater1.xml): one bus name, one object, one
/// interface, and the errors, each named after the exit code the same failure gives on the command line.
/// </summary>
internal static class UpdaterBus
{
    public const string BusName = "io.github.updater.Updater1";
    public const string ObjectPath = "/io/github/updater/Updater1";
    public const string Interface = "io.github.updater.Updater1";

    /// <summary>Another operation of this service is running: one at a time, like the state directory's lock.</summary>
    public const string BusyError = Interface + ".Error.Busy";

    public const string InvalidArgsError = "org.freedesktop.DBus.Error.InvalidArgs";

    /// <summary>io.github.updater.Updater1.Error.BadInput for exit code 4, and so on: one list of kinds, README's.</summary>
    public static string ErrorName(ExitCode code) => $"{Interface}.Error.{code}";
}
