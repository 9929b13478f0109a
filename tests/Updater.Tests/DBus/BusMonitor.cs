// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using TestSupport;
using System.Text.Json;

namespace Updater.Tests.DBus;

/// <summary>
/// `busctl monitor` on the service's name, as a UI listening for Completed would: every message to and from
/// it, one JSON object per line. Ready once it has seen a call the test made after starting it.
/// </summary>
internal sealed class BusMonitor : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<JsonElement> _messages = [];
    private readonly object _gate = new();

    private BusMonitor(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, line) =>
        {
            if (string.IsNullOrWhiteSpace(line.Data))
            {
                return;
            }
            using var document = JsonDocument.Parse(line.Data);
            lock (_gate)
            {
                _messages.Add(document.RootElement.Clone());
            }
        };
        _process.BeginOutputReadLine();
    }

    public static async Task<BusMonitor> StartAsync(PrivateBus bus)
    {
        var start = ProcessRunner.StartInfo("busctl", $"--address={bus.Address}", "--json=short", "monitor", "io.github.updater.Updater1");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var monitor = new BusMonitor(Process.Start(start) ?? throw new InvalidOperationException("busctl monitor did not start"));
        // The monitor is listening once it sees a call made after it started.
        await monitor.WaitForAsync(() => { _ = bus.BusctlAsync("get-property", "io.github.updater.Updater1", "/io/github/updater/Updater1", "io.github.updater.Updater1", "Operation"); },
            m => Member(m) == "Get");
        return monitor;
    }

    /// <summary>The signals seen so far named <paramref name="member"/>, their payload's data.</summary>
    public List<JsonElement> Signals(string member)
    {
        lock (_gate)
        {
            return _messages.Where(m => m.GetProperty("type").GetString() == "signal" && Member(m) == member)
                .Select(m => m.GetProperty("payload").GetProperty("data").Clone()).ToList();
        }
    }

    /// <summary>Waits (up to a minute) until a message matches, doing <paramref name="poke"/> every half second.</summary>
    public async Task<JsonElement> WaitForAsync(Action? poke, Func<JsonElement, bool> match)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(1))
        {
            poke?.Invoke();
            for (int i = 0; i < 10; i++)
            {
                lock (_gate)
                {
                    foreach (var message in _messages)
                    {
                        if (match(message))
                        {
                            return message;
                        }
                    }
                }
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"busctl monitor saw no matching message; it saw {_messages.Count}");
    }

    public Task<JsonElement> CompletedAsync(string operation) =>
        WaitForAsync(null, m => m.GetProperty("type").GetString() == "signal" && Member(m) == "Completed"
            && m.GetProperty("payload").GetProperty("data")[0].GetString() == operation);

    private static string? Member(JsonElement message) => message.TryGetProperty("member", out var member) ? member.GetString() : null;

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
