// SPDX-License-Identifier: Apache-2.0
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Updater.Hooks;

/// <summary>One program to run as a hook: what, with which arguments and UPDATER_* variables, for how long.</summary>
internal sealed record HookCommand
{
    /// <summary>pre-install, post-install or install-check (UPDATER_HOOK).</summary>
    public required string Hook { get; init; }

    /// <summary>Where it is defined: [hooks], [hooks.rootfs], bundle, bundle:rootfs.</summary>
    public required string Source { get; init; }

    /// <summary>What runs: the configured path or the script's interpreter, symlinks resolved.</summary>
    public required string Program { get; init; }

    /// <summary>The path as update.conf or the #! line names it, for messages; <see cref="Program"/> when null.</summary>
    public string? Named { get; init; }

    public string Shown => Named ?? Program;

    public IReadOnlyList<string> Arguments { get; init; } = [];
    public required IReadOnlyDictionary<string, string> Variables { get; init; }
    public required TimeSpan Timeout { get; init; }

    /// <summary>How often <see cref="HookRunner.RunAsync"/> calls its alive callback while the hook runs within its deadline.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(10);

    public string Title => $"{Hook} hook ({Source})";
}

/// <summary>How a hook ended: its exit status (null when it did not exit by itself), why it failed, and its last output.</summary>
internal sealed record HookOutcome(int? ExitCode, string? Failure, string Output)
{
    public bool Passed => Failure is null;
}

/// <summary>
/// Runs a hook as a child with no shell in between: stdin is empty (closed at once), the working directory is /, the
/// environment is the updater's without its own UPDATER_*, NOTIFY_SOCKET and JOURNAL_STREAM (they describe this
/// process, not the hook) plus the hook's variables. Every line it writes is echoed, escaped, as it comes, and
/// the last 4 KiB are kept to explain a failure (stdout and stderr are two pipes: lines of one may
/// come before earlier lines of the other). At the deadline, or when the install is interrupted, the whole
/// process tree is killed.
/// </summary>
internal static class HookRunner
{
    public const int OutputTailChars = 4096;

    private static readonly TimeSpan DrainAfterExit = TimeSpan.FromSeconds(2);

    private static readonly string[] Inherited = ["NOTIFY_SOCKET", "JOURNAL_STREAM", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID"];

    /// <summary>A system tool (mount, resize2fs) run the same way: no variables, a deadline, its output kept.</summary>
    public static Task<HookOutcome> RunToolAsync(string program, IReadOnlyList<string> arguments, TimeSpan deadline, CancellationToken cancellationToken) =>
        RunAsync(new HookCommand
        {
            Hook = Path.GetFileName(program),
            Source = "updater",
            Program = program,
            Arguments = arguments,
            Variables = new Dictionary<string, string>(),
            Timeout = deadline,
        }, echo: null, alive: null, cancellationToken);

    /// <param name="echo">Gets each output line of the hook, unescaped; null to keep it quiet.</param>
    /// <param name="alive">
    /// Called every <see cref="HookCommand.Heartbeat"/> while the hook runs within its deadline: the daemon's
    /// watchdog is fed by progress, and a hook bounded by its own deadline is progress.
    /// </param>
    /// <exception cref="OperationCanceledException">The install was interrupted; the hook has been killed.</exception>
    public static async Task<HookOutcome> RunAsync(HookCommand command, Action<string>? echo, Action? alive, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var start = new ProcessStartInfo(command.Program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (string argument in command.Arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("UPDATER_", StringComparison.Ordinal) || Inherited.Contains(k)).ToList())
        {
            start.Environment.Remove(key);
        }
        foreach (var (key, value) in command.Variables)
        {
            start.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("no process");
        }
        catch (Win32Exception e)
        {
            return new HookOutcome(null, $"could not be started: {e.Message}", "");
        }
        using (process)
        {
            process.StandardInput.Close();
            var tail = new OutputTail(OutputTailChars, echo);
            var stdout = tail.CollectAsync(process.StandardOutput);
            var stderr = tail.CollectAsync(process.StandardError);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(command.Timeout);
            string? failure = null;
            try
            {
                var exited = process.WaitForExitAsync(deadline.Token);
                while (await Task.WhenAny(exited, Task.Delay(command.Heartbeat, deadline.Token)).ConfigureAwait(false) != exited)
                {
                    alive?.Invoke();
                }
                await exited.ConfigureAwait(false);
                // A Ctrl-C reaches the hook too (same process group): if it exited of it, the install was
                // interrupted, not failed by the hook.
                cancellationToken.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
                cancellationToken.ThrowIfCancellationRequested();
                failure = string.Create(CultureInfo.InvariantCulture, $"timed out after {command.Timeout.TotalSeconds:0.###} s and was killed");
            }
            // What the hook wrote just before it exited explains a failure: read it to the end. But a daemon the
            // hook left behind holds the pipes open, so wait for that end a short while only; what it writes
            // after is neither echoed nor kept.
            await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(DrainAfterExit, CancellationToken.None)).ConfigureAwait(false);
            string output = tail.Close();
            if (failure is not null)
            {
                return new HookOutcome(null, failure, output);
            }
            int code = process.ExitCode;
            // .NET reports death by signal N as 128 + N; the hook did not choose that status.
            return code == 0 ? new HookOutcome(0, null, output)
                : new HookOutcome(code, code > 128 && code < 128 + 65 ? $"exited with status {code} (killed by signal {code - 128}?)" : $"exited with status {code}", output);
        }
    }

    /// <summary>The hook's output: echoed line by line (each cut to fit a terminal line with its prefix), and its last characters kept.</summary>
    private sealed class OutputTail(int capacity, Action<string>? echo)
    {
        private const int MaxLine = Text.SafeText.MaxLine - 128;
        private readonly StringBuilder _tail = new();
        private readonly Lock _lock = new();
        private bool _closed;

        public async Task CollectAsync(StreamReader reader)
        {
            var buffer = new char[1024];
            var line = new StringBuilder();
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                for (int i = 0; i < read; i++)
                {
                    char c = buffer[i];
                    if (c == '\n' || line.Length >= MaxLine)
                    {
                        Flush(line);
                        if (c == '\n')
                        {
                            continue;
                        }
                    }
                    line.Append(c);
                }
            }
            if (line.Length > 0)
            {
                Flush(line);
            }
        }

        private void Flush(StringBuilder line)
        {
            string text = line.ToString();
            line.Clear();
            lock (_lock)
            {
                if (_closed)
                {
                    return;
                }
                echo?.Invoke(text);
                _tail.Append(text).Append('\n');
                if (_tail.Length > capacity)
                {
                    _tail.Remove(0, _tail.Length - capacity);
                }
            }
        }

        /// <summary>Stops taking output (a process left behind by the hook may still write) and returns what was kept.</summary>
        public string Close()
        {
            lock (_lock)
            {
                _closed = true;
                return _tail.ToString().TrimEnd('\n');
            }
        }
    }
}

/// <summary>Where the CLI and the daemon echo hook output: stderr (the journal under systemd), escaped, one line each.</summary>
internal static class HookEcho
{
    public static readonly Action<string> StandardError = line => Console.Error.WriteLine(Text.SafeText.Escape($"hook {line}"));
}
