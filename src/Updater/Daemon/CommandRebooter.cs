using System.Diagnostics;

namespace Updater.Daemon;

/// <summary>Reboots by running the configured command ([channel] reboot-command, default `systemctl reboot`).</summary>
public sealed class CommandRebooter : IRebooter
{
    private readonly string _command;

    public CommandRebooter(string command)
    {
        _command = command;
    }

    public async Task RebootAsync(CancellationToken cancellationToken)
    {
        string[] words = _command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var start = new ProcessStartInfo(words[0]) { UseShellExecute = false };
        foreach (string word in words.Skip(1))
        {
            start.ArgumentList.Add(word);
        }
        using var process = Process.Start(start) ?? throw new UpdaterException(ExitCode.Io, $"cannot run reboot command '{_command}'");
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new UpdaterException(ExitCode.Io, $"reboot command '{_command}' exited with {process.ExitCode}");
        }
    }
}
