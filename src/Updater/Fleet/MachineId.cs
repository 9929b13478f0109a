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
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UpdaterException(ExitCode.Config, $"{path}: cannot read the machine id: {e.Message} ([channel] machine-id-file)");
        }
        if (text.Length is 0 or > 256 || text.Any(char.IsControl))
        {
            throw new UpdaterException(ExitCode.Config, $"{path}: the machine id must be one line of 1..256 printable characters ([channel] machine-id-file)");
        }
        return text;
    }
}
