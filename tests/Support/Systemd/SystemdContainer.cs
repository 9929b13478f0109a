// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace TestSupport.Systemd;

/// <summary>
/// A Debian root booted with <c>systemd-nspawn --boot</c>: a real systemd as PID 1 of its own namespaces, with a
/// real dbus-daemon. The root is mounted read-only under a tmpfs overlay (<c>--volatile=overlay</c>), so units
/// written into it vanish with the container and the cached root stays clean. Commands run inside with
/// <c>nsenter</c>, which works also where the host's PID 1 is not systemd (machinectl and <c>systemctl -M</c> do not).
/// </summary>
public sealed class SystemdContainer : IAsyncDisposable
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _nspawn;
    private readonly StringBuilder _console;
    private bool _disposed;

    private SystemdContainer(Process nspawn, StringBuilder console, int leaderPid)
    {
        _nspawn = nspawn;
        _console = console;
        LeaderPid = leaderPid;
    }

    /// <summary>The container's PID 1 as the host sees it.</summary>
    public int LeaderPid { get; }

    /// <summary>
    /// The container's system bus as seen from the host. The container's /run is its own tmpfs, so the socket is
    /// not at ROOT/run/dbus; the host reaches it through the leader's root, /proc/PID/root.
    /// </summary>
    public string SystemBusAddress => $"unix:path=/proc/{LeaderPid}/root/run/dbus/system_bus_socket";

    /// <summary>The container's /etc/systemd/system, writable from the host (into the overlay).</summary>
    public string UnitDirectory => $"/proc/{LeaderPid}/root/etc/systemd/system";

    /// <param name="extraArguments">More systemd-nspawn options, such as <c>--bind-ro=</c> of files into the container.</param>
    public static async Task<SystemdContainer> BootAsync(string root, string machineName, params string[] extraArguments)
    {
        var start = new ProcessStartInfo("systemd-nspawn")
        {
            ArgumentList =
            {
                "--directory=" + root, "--volatile=overlay", "--boot", "--register=no", "--keep-unit",
                "--console=pipe", "--machine=" + machineName,
            },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in extraArguments)
        {
            start.ArgumentList.Add(argument);
        }

        await HostContainerLease.AcquireAsync().ConfigureAwait(false);
        Process nspawn;
        try
        {
            nspawn = Process.Start(start) ?? throw new InvalidOperationException("systemd-nspawn did not start");
        }
        catch
        {
            await HostContainerLease.ReleaseAsync().ConfigureAwait(false);
            throw;
        }
        var console = new StringBuilder();
        nspawn.OutputDataReceived += (_, e) => Append(console, e.Data);
        nspawn.ErrorDataReceived += (_, e) => Append(console, e.Data);
        nspawn.BeginOutputReadLine();
        nspawn.BeginErrorReadLine();

        try
        {
            var leader = await FindLeaderAsync(nspawn, console);
            var container = new SystemdContainer(nspawn, console, leader);
            // "--wait" returns once boot has finished: running, or degraded if some unit of the root failed. Until
            // PID 1 has opened its private socket, systemctl cannot connect at all; ask again until it can.
            var deadline = DateTime.UtcNow + BootTimeout;
            var state = "";
            while (state is not ("running" or "degraded"))
            {
                if (DateTime.UtcNow > deadline || nspawn.HasExited)
                {
                    throw new InvalidOperationException($"the container did not finish booting (state '{state}'). Console:\n{Text(console)}");
                }

                state = (await ProcessRunner.RunAsync(
                    "timeout", ((int)BootTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture),
                    "nsenter", "-t", leader.ToString(CultureInfo.InvariantCulture), "-a", "systemctl", "is-system-running", "--wait")).Output;
                if (state is not ("running" or "degraded"))
                {
                    await Task.Delay(50);
                }
            }

            return container;
        }
        catch
        {
            if (!nspawn.HasExited)
            {
                nspawn.Kill(entireProcessTree: true);
            }

            nspawn.Dispose();
            await HostContainerLease.ReleaseAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs a command inside the container and returns its output, trimmed; throws with the output if it fails.</summary>
    public async Task<string> RunAsync(params string[] command) =>
        (await ProcessRunner.RunCheckedAsync("nsenter", Inside(command)).ConfigureAwait(false)).Output;

    /// <summary>Runs a command inside the container and returns how it ended, whatever the exit code.</summary>
    public Task<ProcessResult> TryRunAsync(params string[] command) => ProcessRunner.RunAsync("nsenter", Inside(command));

    // nsenter into every namespace of the container's PID 1: the command runs as if started inside.
    private string[] Inside(string[] command) => ["-t", LeaderPid.ToString(CultureInfo.InvariantCulture), "-a", .. command];

    /// <summary>Polls systemd until the unit reaches the state, for setup only (the checks under test never poll).</summary>
    public async Task WaitForActiveStateAsync(string unit, string activeState)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string state;
        do
        {
            state = await RunAsync("systemctl", "show", "--property=ActiveState", "--value", unit);
            if (state == activeState)
            {
                return;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        throw new InvalidOperationException($"{unit} stayed '{state}', never reached '{activeState}'");
    }

    public async ValueTask DisposeAsync()
    {
        // Once only: the host-wide lease is counted per container.
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_nspawn.HasExited)
        {
            await TryRunAsync("systemctl", "poweroff", "--no-block");
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _nspawn.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _nspawn.Kill(entireProcessTree: true);
                await _nspawn.WaitForExitAsync();
            }
        }

        _nspawn.Dispose();
        await HostContainerLease.ReleaseAsync().ConfigureAwait(false);
    }

    // nspawn forks the container's PID 1 as its child; it appears once the namespaces are set up.
    private static async Task<int> FindLeaderAsync(Process nspawn, StringBuilder console)
    {
        var deadline = DateTime.UtcNow + BootTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (nspawn.HasExited)
            {
                throw new InvalidOperationException($"systemd-nspawn exited with {nspawn.ExitCode}:\n{Text(console)}");
            }

            foreach (var task in Directory.EnumerateDirectories($"/proc/{nspawn.Id}/task"))
            {
                var children = await ReadProcAsync(Path.Combine(task, "children"));
                var first = children?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                // The child must already be systemd: right after the fork it is still a copy of nspawn.
                if (first is not null && (await ReadProcAsync($"/proc/{first}/comm"))?.Trim() == "systemd")
                {
                    return int.Parse(first, CultureInfo.InvariantCulture);
                }
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException($"systemd-nspawn started no systemd within {BootTimeout}:\n{Text(console)}");
    }

    // A /proc file of a process or thread that may exit while it is read (nspawn's intermediate children do): null
    // once it is gone, which the caller treats as "not yet".
    private static async Task<string?> ReadProcAsync(string path)
    {
        try
        {
            return await File.ReadAllTextAsync(path);
        }
        catch (IOException) // DirectoryNotFoundException, FileNotFoundException, ESRCH
        {
            return null;
        }
    }

    private static void Append(StringBuilder console, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (console)
        {
            console.AppendLine(line);
        }
    }

    private static string Text(StringBuilder console)
    {
        lock (console)
        {
            return console.ToString();
        }
    }
}
