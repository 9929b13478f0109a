// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;

namespace Updater.Reboot;

/// <summary>
/// The device's one reboot command ([health] reboot-command, default `systemctl reboot`), run by <c>/bin/sh -c</c>
/// by a failed verdict, `updater rollback --reboot` and the daemon, each only once what the reboot must not lose
/// is durable. A command that fails leaves a device that is set to boot the other slot but still runs this
/// one: that is an error for the operator to see.
/// </summary>
internal sealed class CommandRebooter : IRebooter
{
    public CommandRebooter(string command)
    {
        Command = command;
    }

    /// <summary>The command, for messages ("rebooting (systemctl reboot)").</summary>
    public string Command { get; }

    public async Task RebootAsync(CancellationToken cancellationToken)
    {
        string command = Command;
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", command },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new UpdaterException(ExitCode.Io, $"reboot command '{command}' did not start: {e.Message}; the other slot boots next: reboot by hand");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            string output = ((await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false))).Trim();
            if (process.ExitCode != 0)
            {
                throw new UpdaterException(ExitCode.Io,
                    $"reboot command '{command}' exited {process.ExitCode}{(output.Length == 0 ? "" : $": {output}")}; the other slot boots next: reboot by hand");
            }
        }
    }
}
