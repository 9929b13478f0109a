using System.Diagnostics;

namespace Updater.Health;

/// <summary>
/// The configured reboot command ([health] reboot-command), run by <c>/bin/sh -c</c> once a failed verdict is
/// durable in the bootloader environment and the state directory. A command that fails leaves a device that
/// is set to boot the other slot but still runs this one: that is an error for the operator to see.
/// </summary>
public static class RebootCommand
{
    public static async Task RunAsync(string command, CancellationToken cancellationToken)
    {
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
