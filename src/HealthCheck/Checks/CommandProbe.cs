// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Text;

namespace HealthCheck.Checks;

/// <summary>
/// Runs a command line with <c>/bin/sh -c</c> (so pipes, quoting and <c>&amp;&amp;</c> work as in a unit's
/// ExecStart= through a shell) and passes when it exits 0. Its output is kept only to explain a failure. When the
/// attempt is cancelled the whole process tree is killed, so a hung command does not outlive its deadline.
/// </summary>
internal sealed class CommandProbe(string commandLine) : IHealthProbe
{
    internal const string Shell = "/bin/sh";

    // Enough of the output to say why a command failed, not so much that a chatty one floods the report.
    private const int OutputTailChars = 512;

    public async ValueTask<ProbeResult> ProbeAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var start = new ProcessStartInfo(Shell)
        {
            ArgumentList = { "-c", commandLine },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"{Shell} did not start");
        process.StandardInput.Close();
        var output = new OutputTail(OutputTailChars);
        var stdout = output.CollectAsync(process.StandardOutput);
        var stderr = output.CollectAsync(process.StandardError);

        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            // Reap it: the kill is immediate, and a zombie per timed-out attempt would pile up in a long run.
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        // The streams end when the last process holding them exits; a daemon the command left behind keeps
        // them open, so do not wait for them beyond the exit of the command itself.
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None))
            .ConfigureAwait(false);

        if (process.ExitCode == 0)
        {
            return ProbeResult.Pass();
        }

        var tail = output.ToString();
        var reason = $"command exited with status {process.ExitCode}";
        return ProbeResult.Fail(tail.Length == 0 ? reason : $"{reason}: {tail}");
    }

    /// <summary>The last few characters a process wrote to stdout and stderr, as one trimmed line.</summary>
    private sealed class OutputTail(int capacity)
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _lock = new();

        public async Task CollectAsync(StreamReader reader)
        {
            var buffer = new char[256];
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                lock (_lock)
                {
                    _text.Append(buffer, 0, read);
                    if (_text.Length > capacity)
                    {
                        _text.Remove(0, _text.Length - capacity);
                    }
                }
            }
        }

        public override string ToString()
        {
            lock (_lock)
            {
                return string.Join(' ', _text.ToString().Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
        }
    }
}
