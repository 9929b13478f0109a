// SPDX-License-Identifier: Apache-2.0
namespace Updater.Fleet;

/// <summary>The device's stable identity for rollouts and reports: /etc/machine-id or the file update.conf names.</summary>
internal static class MachineId
{
    public const string DefaultPath = Config.ChannelConfig.DefaultMachineIdFile;

    public static string Read(string path)
    {
        string text;
        try
        {
            // Bounded: the file is local, but a wrong machine-id-file (a log, a device) must not be read whole.
            text = System.Text.Encoding.UTF8.GetString(SmallFile.Read(path, 4096, "machine id")).Trim();
        }
        catch (UpdaterException e)
        {
            throw new UpdaterException(ExitCode.Config, $"{e.Message} ([channel] machine-id-file)");
        }
        if (text.Length is 0 or > 256 || text.Any(char.IsControl))
        {
            throw new UpdaterException(ExitCode.Config, $"{path}: the machine id must be one line of 1..256 printable characters ([channel] machine-id-file)");
        }
        return text;
    }
}
