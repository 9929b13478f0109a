// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Updater.Daemon;
using Updater.DBus;
using Updater.Tests.Support;
using TestSupport;

namespace Updater.Tests.DBus;

/// <summary>
/// The D-Bus API served on a real dbus-daemon and called with the real busctl: every method answers as its
/// command does (the same JSON documents, the same failures under error names after the exit codes), Install
/// reports its end with Completed and its progress in properties, one operation runs at a time, bad arguments
/// are refused before anything runs, and a stop interrupts an install so that it resumes.
/// </summary>
public sealed class DBusApiTests : IAsyncLifetime
{
    private const string Name = "io.github.updater.Updater1";
    private const string ObjectPath = "/io/github/updater/Updater1";

    private readonly PrivateBus _bus = new();
    private readonly TestDevice _device = new();
    private readonly StringWriter _log = new();
    private readonly CancellationTokenSource _stop = new();
    private Task<int> _service = null!;

    public async Task InitializeAsync()
    {
        var log = new JournalLog(TextWriter.Synchronized(_log));
        _service = Task.Run(() => DBusService.RunAsync(_bus.Address, new DeviceCalls(_device.ConfigPath, null, log), log, _stop.Token));
        for (int i = 0; ; i++)
        {
            var owner = await _bus.BusctlAsync("call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", "s", Name);
            if (owner.Stdout.Contains("true", StringComparison.Ordinal))
            {
                break;
            }
            Assert.False(_service.IsCompleted, $"the service ended: {(_service.IsFaulted ? _service.Exception : "")}\n{_log}");
            Assert.True(i < 200, $"the service never owned {Name}: {_log}");
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _service.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (UpdaterException)
        {
            // A test that stopped the bus first.
        }
        _stop.Dispose();
        _device.Dispose();
        _bus.Dispose();
    }

    [Fact]
    public async Task An_install_replies_at_once_reports_progress_and_its_end_and_status_shows_the_result()
    {
        var (bundle, image) = await _device.MakeBundleAsync("2.0.0");
        await using var monitor = await BusMonitor.StartAsync(_bus);

        var started = await CallAsync("Install", "sa{sv}", bundle, "1", "verify", "b", "true");
        Assert.True(started.ExitCode == 0, started.Output);
        var completed = await monitor.CompletedAsync("install");
        var data = completed.GetProperty("payload").GetProperty("data");
        Assert.True(data[1].GetInt32() == 0, data.ToString());
        Assert.StartsWith("installed 2.0.0 into slot B (rootfs.1)", data[2].GetString(), StringComparison.Ordinal);
        Assert.Contains("read back and verified", data[2].GetString(), StringComparison.Ordinal);
        Assert.Equal(image, _device.ReadSlotB(image.Length));

        // The properties as a UI sees them: idle again, no error, the progress at its end.
        Assert.Equal("idle", (await PropertyAsync("Operation")).GetString());
        Assert.Equal("", (await PropertyAsync("LastError")).GetString());
        var progress = await PropertyAsync("Progress");
        Assert.Equal((100, image.Length, image.Length), (progress[0].GetInt32(), progress[2].GetInt64(), progress[3].GetInt64()));
        // Operation went to "install" and back, each change signalled.
        var changes = monitor.Signals("PropertiesChanged").Select(s => s[1]).ToList();
        Assert.Contains(changes, c => c.TryGetProperty("Operation", out var op) && op.GetProperty("data").GetString() == "install");
        Assert.Contains(changes, c => c.TryGetProperty("Progress", out _));

        // GetStatus is `updater status --json`: B holds 2.0.0 and is tried next.
        var status = JsonDocument.Parse(await StringCallAsync("GetStatus")).RootElement;
        Assert.Equal("updater.status/1", status.GetProperty("schema").GetString());
        Assert.Equal("B", status.GetProperty("next_boot").GetString());
        var slotB = status.GetProperty("slots").EnumerateArray().Single(s => s.GetProperty("bootname").GetString() == "B");
        Assert.Equal("2.0.0", slotB.GetProperty("version").GetString());
        Assert.Contains("install of " + bundle + " asked by :1.", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_operation_while_one_runs_is_refused_as_busy_and_a_stop_interrupts_the_install_so_it_resumes()
    {
        var (bundle, image) = await _device.MakeBundleAsync("2.0.0");
        string marker = _device.Path("hook-started");
        _device.AppendConfig($"[hooks]\npre-install = {WriteScript("slow-hook", $"#!/bin/sh\ntouch {marker}\nsleep 30\n")}\ntimeout = 1m\n");
        await using var monitor = await BusMonitor.StartAsync(_bus);

        Assert.Equal(0, (await CallAsync("Install", "sa{sv}", bundle, "0")).ExitCode);
        await WaitUntilAsync(() => File.Exists(marker));
        Assert.Equal("install", (await PropertyAsync("Operation")).GetString());
        var busy = await CallAsync("Install", "sa{sv}", bundle, "0");
        Assert.NotEqual(0, busy.ExitCode);
        Assert.Contains("another operation is running: install", busy.Stderr, StringComparison.Ordinal);
        var busyRollback = await CallAsync("Rollback", "");
        Assert.Contains("another operation is running: install", busyRollback.Stderr, StringComparison.Ordinal);
        // Reads answer beside it (the pre-install hook runs before the install journal exists: B is unrecorded yet).
        var status = JsonDocument.Parse(await StringCallAsync("GetStatus")).RootElement;
        Assert.Equal(("updater.status/1", "unrecorded"), (status.GetProperty("schema").GetString(), status.GetProperty("slots")[1].GetProperty("state").GetString()));

        // SIGTERM of the service: the install ends as interrupted (exit code 130), Completed says so, the service exits 0.
        await _stop.CancelAsync();
        var completed = (await monitor.CompletedAsync("install")).GetProperty("payload").GetProperty("data");
        Assert.Equal(130, completed[1].GetInt32());
        Assert.Contains("interrupted", completed[2].GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await _service.WaitAsync(TimeSpan.FromSeconds(30)));

        // Cut in its pre-install hook, nothing was written; the same install again (without the hook) completes.
        File.WriteAllText(_device.ConfigPath, _device.ConfigText());
        await _device.InstallAsync(bundle);
        Assert.Equal(image, _device.ReadSlotB(image.Length));
    }

    [Fact]
    public async Task Failures_come_back_as_errors_named_after_the_exit_codes_and_bad_arguments_change_nothing()
    {
        string slotB = TestDevice.Sha256Of(_device.SlotB);
        await using var monitor = await BusMonitor.StartAsync(_bus);

        // Refused before anything runs: InvalidArgs, and no operation starts.
        await ExpectErrorAsync(monitor, CallAsync("Install", "sa{sv}", "relative.bundle", "0"), "InvalidArgs", "neither an absolute path nor an http:// or https:// URL");
        await ExpectErrorAsync(monitor, CallAsync("Install", "sa{sv}", "/x.bundle", "1", "force", "b", "true"), "InvalidArgs", "unknown option 'force'");
        await ExpectErrorAsync(monitor, CallAsync("Install", "sa{sv}", "/x.bundle", "1", "verify", "s", "yes"), "InvalidArgs", "option 'verify' takes a boolean");
        await ExpectErrorAsync(monitor, CallAsync("Install", "s", "/x.bundle"), "InvalidArgs", "Install takes (sa{sv}), not (s)");
        await ExpectErrorAsync(monitor, CallAsync("Mark", "ss", "maybe", "booted"), "InvalidArgs", "state is 'maybe', expected good or bad");
        await ExpectErrorAsync(monitor, CallAsync("Frobnicate", ""), "UnknownMethod", "");
        var set = await _bus.BusctlAsync("set-property", Name, ObjectPath, Name, "Operation", "s", "install");
        Assert.Contains("read-only", set.Stderr, StringComparison.Ordinal);
        Assert.Empty(monitor.Signals("Completed"));

        // The command line's failures, under the exit code's name; LastError and Completed carry them.
        await ExpectErrorAsync(monitor, CallAsync("Rollback", ""), "Refused", "cannot roll back to slot B");
        await ExpectErrorAsync(monitor, CallAsync("Check", ""), "Config", "no [channel] section");
        Assert.Contains("no [channel] section", (await PropertyAsync("LastError")).GetString(), StringComparison.Ordinal);
        await ExpectErrorAsync(monitor, CallAsync("Mark", "ss", "good", "C"), "Usage", "'C' is not booted, other, or one of the bootnames A, B");

        // A corrupt bundle: the install starts, then fails verification (exit code 4) before writing.
        var (bundle, _) = await _device.MakeBundleAsync("2.0.0");
        byte[] bytes = await File.ReadAllBytesAsync(bundle);
        bytes[^100] ^= 0xFF;
        await File.WriteAllBytesAsync(bundle, bytes);
        Assert.Equal(0, (await CallAsync("Install", "sa{sv}", bundle, "0")).ExitCode);
        var failed = (await monitor.CompletedAsync("install")).GetProperty("payload").GetProperty("data");
        Assert.Equal(4, failed[1].GetInt32());
        Assert.Equal(failed[2].GetString(), (await PropertyAsync("LastError")).GetString());
        Assert.Equal(slotB, TestDevice.Sha256Of(_device.SlotB));

        // Mark works as mark-good does, and clears LastError.
        var marked = await CallAsync("Mark", "ss", "good", "booted");
        Assert.True(marked.ExitCode == 0, marked.Output);
        Assert.Equal("""{"type":"ss","data":["A","slot A marked good"]}""", marked.Stdout.Trim());
        Assert.Equal("", (await PropertyAsync("LastError")).GetString());
    }

    [Fact]
    public async Task Introspection_is_the_documented_interface()
    {
        var introspect = await _bus.BusctlAsync("call", Name, ObjectPath, "org.freedesktop.DBus.Introspectable", "Introspect");
        string xml = JsonDocument.Parse(introspect.Stdout).RootElement.GetProperty("data")[0].GetString()!;
        string documented = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "dbus", "io.github.updater.Updater1.xml"));
        string element = documented[documented.IndexOf("<interface ", StringComparison.Ordinal)..(documented.LastIndexOf("</interface>", StringComparison.Ordinal) + "</interface>".Length)];
        Assert.Contains(element, xml, StringComparison.Ordinal);
        foreach (string member in new[] { "Install", "Check", "Mark", "Rollback", "GetStatus", "Operation", "Progress", "LastError", "Completed" })
        {
            Assert.Contains($"name=\"{member}\"", element, StringComparison.Ordinal);
        }
    }

    private Task<ProcessResult> CallAsync(string method, string signature, params string[] arguments) =>
        _bus.BusctlAsync(["call", Name, ObjectPath, Name, method, .. (signature.Length == 0 ? Array.Empty<string>() : [signature]), .. arguments]);

    private async Task<string> StringCallAsync(string method)
    {
        var result = await CallAsync(method, "");
        Assert.True(result.ExitCode == 0, result.Output);
        return JsonDocument.Parse(result.Stdout).RootElement.GetProperty("data")[0].GetString()!;
    }

    private async Task<JsonElement> PropertyAsync(string name)
    {
        var result = await _bus.BusctlAsync("get-property", Name, ObjectPath, Name, name);
        Assert.True(result.ExitCode == 0, result.Output);
        return JsonDocument.Parse(result.Stdout).RootElement.GetProperty("data").Clone();
    }

    /// <summary>The call fails with an error named *.<paramref name="kind"/> whose message holds <paramref name="message"/>: busctl prints the message, the monitor sees the name.</summary>
    private static async Task ExpectErrorAsync(BusMonitor monitor, Task<ProcessResult> call, string kind, string message)
    {
        var result = await call;
        Assert.True(result.ExitCode != 0, result.Output);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        await monitor.WaitForAsync(null, m => m.GetProperty("type").GetString() == "error"
            && m.GetProperty("error_name").GetString()!.EndsWith("." + kind, StringComparison.Ordinal)
            && m.GetProperty("payload").GetProperty("data")[0].GetString()!.Contains(message, StringComparison.Ordinal));
    }

    private string WriteScript(string name, string text)
    {
        string path = _device.Path(name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; !condition(); i++)
        {
            Assert.True(i < 600, "timed out");
            await Task.Delay(50);
        }
    }
}
