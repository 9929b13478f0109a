// SPDX-License-Identifier: Apache-2.0
using System.Net.Sockets;
using System.Text;
using Updater.Daemon;
using Updater.Hooks;
using Updater.Install;
using Updater.Tests.Support;

namespace Updater.Tests.Hooks;

/// <summary>The hook runner's bounds: output kept and echoed in bounded pieces, and a heartbeat while a hook runs within its deadline.</summary>
public sealed class HookRunnerTests : IDisposable
{
    private readonly TestSupport.TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static HookCommand Shell(string script, TimeSpan? heartbeat = null) => new()
    {
        Hook = "pre-install",
        Source = "[hooks]",
        Program = "/bin/sh",
        Arguments = ["-c", script],
        Variables = new Dictionary<string, string>(),
        Timeout = TimeSpan.FromSeconds(30),
        Heartbeat = heartbeat ?? TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task A_flood_without_newlines_is_kept_to_its_last_4096_characters_and_echoed_in_lines_that_fit_a_terminal()
    {
        var echoed = new List<string>();
        var outcome = await HookRunner.RunAsync(Shell("head -c 3000000 /dev/zero | tr '\\0' x; echo; echo last words; exit 5"), echoed.Add, null, CancellationToken.None);

        Assert.Equal(5, outcome.ExitCode);
        Assert.True(outcome.Output.Length <= HookRunner.OutputTailChars, $"{outcome.Output.Length} characters kept");
        Assert.EndsWith("x\nlast words", outcome.Output, StringComparison.Ordinal);
        Assert.All(echoed, line => Assert.True(line.Length + "hook pre-install: ".Length < Updater.Text.SafeText.MaxLine));
        Assert.Equal(3000000, echoed.Where(l => l.StartsWith('x')).Sum(l => l.Length));
    }

    [Fact]
    public async Task A_running_hook_gives_a_heartbeat_and_a_quick_one_none()
    {
        int beats = 0;
        await HookRunner.RunAsync(Shell("sleep 1", TimeSpan.FromMilliseconds(100)), null, () => Interlocked.Increment(ref beats), CancellationToken.None);
        Assert.InRange(beats, 4, 20);
        int quick = 0;
        await HookRunner.RunAsync(Shell("true", TimeSpan.FromSeconds(5)), null, () => Interlocked.Increment(ref quick), CancellationToken.None);
        Assert.Equal(0, quick);
    }

    [Fact]
    public async Task The_daemons_watchdog_is_fed_by_a_running_hook_although_no_byte_moves()
    {
        string path = _dir.Path("notify.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        using var notifier = new SystemdNotifier(path);
        var time = FakeClock.Create();
        var watchdog = new ProgressWatchdog(notifier, TimeSpan.FromMinutes(5), time);

        watchdog.Report(new InstallProgress("writing", 100, 1000, 100));
        time.Advance(TimeSpan.FromMinutes(2));
        watchdog.Report(new InstallProgress("writing", 100, 1000, 100));
        int afterStall = Pings(listener);
        time.Advance(TimeSpan.FromMinutes(2));
        watchdog.Report(new InstallProgress(InstallProgress.HookPhase, 100, 1000, 100));

        Assert.Equal(1, afterStall);
        Assert.Equal(1, Pings(listener));
    }

    private static int Pings(Socket listener)
    {
        int pings = 0;
        var buffer = new byte[256];
        while (listener.Available > 0)
        {
            int n = listener.Receive(buffer);
            pings += Encoding.ASCII.GetString(buffer, 0, n) == "WATCHDOG=1" ? 1 : 0;
        }
        return pings;
    }
}
