// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Updater.Tests.Support;

namespace Updater.Tests.Verdict;

/// <summary>
/// The whole update loop on file-backed slots, through the real `updater` executable and a real grubenv that
/// only grub-editenv reads and, where GRUB would, writes. Boots are simulated as dist/grub.cfg performs them:
/// a trial boot first counts its try (`grub-editenv set B_TRY=1`), then the system runs with `--booted-slot`.
/// </summary>
public sealed class HealthLoopTests : IDisposable
{
    private readonly TestDevice _box = new(slotSize: 2 << 20);
    private readonly GrubEnvFile _env;

    public HealthLoopTests()
    {
        _env = new GrubEnvFile(_box.GrubEnv);
        Directory.CreateDirectory(_box.Path("health.d"));
        // The application's health: a file the test creates or removes, as a real service would be up or down.
        File.WriteAllText(_box.Path("health.d/10-app.conf"), $"""
            [check.app]
            type = command
            command = test -e {_box.Path("app-ok")}
            timeout = 5s
            """);
        // The reboot command leaves evidence of what was on disk at the moment it ran.
        File.WriteAllText(_box.ConfigPath, _box.ConfigText() + $"""


            [health]
            checks-dir = {_box.Path("health.d")}
            reboot-command = grub-editenv {_env.Path} list > {Rebooted}; cat {StateFile("health-failure.json")} >> {Rebooted}
            timeout = 30s
            """);
    }

    private string Rebooted => _box.Path("rebooted.txt");

    public void Dispose() => _box.Dispose();

    [Fact]
    public async Task A_failed_trial_is_marked_bad_and_rolled_back_and_a_later_install_that_passes_is_committed()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 7), version: "2.0.0");

        // Running A: install 2.0.0 into B, which becomes the slot to try once.
        await Cli(0, "install", bundle);
        Assert.Equal("B A", _env.List()["ORDER"]);
        Assert.Equal("1 0 1", _env.SlotState("B"));

        // GRUB counts the try and boots B; the application does not come up.
        _env.Set("B_TRY=1");
        var failed = await Cli(7, "--booted-slot", "B", "health");
        Assert.Contains("health of slot B (2.0.0), trial boot", failed.Stdout, StringComparison.Ordinal);
        Assert.Contains("FAIL app", failed.Stdout, StringComparison.Ordinal);
        Assert.Contains("exit", failed.Stdout, StringComparison.Ordinal);
        Assert.Contains("verdict: fail: slot B (2.0.0) marked bad; slot A boots next; rebooting", failed.Stdout, StringComparison.Ordinal);
        Assert.Equal("0 0 0", _env.SlotState("B"));
        Assert.Equal("1 0 0", _env.SlotState("A"));
        using (var failure = ReadState("health-failure.json"))
        {
            Assert.Equal("B", failure.RootElement.GetProperty("bootname").GetString());
            Assert.Equal("2.0.0", failure.RootElement.GetProperty("version").GetString());
            Assert.True(failure.RootElement.GetProperty("trial").GetBoolean());
            var check = Assert.Single(failure.RootElement.GetProperty("failed_checks").EnumerateArray());
            Assert.Equal("app", check.GetProperty("name").GetString());
        }
        // The reboot ran after both writes were on disk.
        string atReboot = File.ReadAllText(Rebooted);
        Assert.Contains("B_OK=0", atReboot, StringComparison.Ordinal);
        Assert.Contains("\"bootname\": \"B\"", atReboot, StringComparison.Ordinal);
        Assert.False(File.Exists(StateFile("rollback.json")));

        // GRUB skips bad B and boots committed A without writing. Status sees the rollback before health records it.
        File.WriteAllText(_box.Path("app-ok"), "");
        using (var seen = JsonDocument.Parse((await Cli(0, "--booted-slot", "A", "status", "--json")).Stdout))
        {
            Assert.False(seen.RootElement.GetProperty("rollback_recorded").GetBoolean());
            Assert.Equal("health-failed", seen.RootElement.GetProperty("rollback").GetProperty("reason").GetString());
        }
        Assert.False(File.Exists(StateFile("rollback.json")));

        var back = await Cli(0, "--booted-slot", "A", "health");
        Assert.Contains("rollback recorded: slot B (2.0.0) failed its health checks on a trial boot: app: ", back.Stdout, StringComparison.Ordinal);
        Assert.Contains("verdict: pass: slot A is committed; nothing to do", back.Stdout, StringComparison.Ordinal);
        string recorded = File.ReadAllText(StateFile("rollback.json"));
        using (var rollback = JsonDocument.Parse(recorded))
        {
            var r = rollback.RootElement;
            Assert.Equal("B", r.GetProperty("from_slot").GetString());
            Assert.Equal("A", r.GetProperty("to_slot").GetString());
            Assert.Equal("2.0.0", r.GetProperty("version").GetString());
            Assert.Equal("health-failed", r.GetProperty("reason").GetString());
            Assert.Equal("app", Assert.Single(r.GetProperty("failed_checks").EnumerateArray()).GetProperty("name").GetString());
        }

        // Every later boot of A: recorded once, shown by status until the next install.
        await Cli(0, "--booted-slot", "A", "health");
        Assert.Equal(recorded, File.ReadAllText(StateFile("rollback.json")));
        var status = await Cli(0, "--booted-slot", "A", "status");
        Assert.Contains("rollback:    from slot B (2.0.0) to A, found ", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("failed its health checks on a trial boot: app: ", status.Stdout, StringComparison.Ordinal);

        // Install again: the old story is forgotten; this time the trial passes and B is committed.
        await Cli(0, "install", bundle);
        Assert.False(File.Exists(StateFile("rollback.json")));
        Assert.False(File.Exists(StateFile("health-failure.json")));
        _env.Set("B_TRY=1");
        File.Delete(Rebooted);
        var passed = await Cli(0, "--booted-slot", "B", "health");
        Assert.Contains("ok   app", passed.Stdout, StringComparison.Ordinal);
        Assert.Contains("verdict: pass: slot B (2.0.0) passed its trial boot and is committed", passed.Stdout, StringComparison.Ordinal);
        Assert.Equal("1 0 0", _env.SlotState("B"));
        Assert.Equal("B A", _env.List()["ORDER"]);
        Assert.False(File.Exists(Rebooted));
        using var after = JsonDocument.Parse((await Cli(0, "--booted-slot", "B", "status", "--json")).Stdout);
        Assert.False(after.RootElement.TryGetProperty("rollback", out _));
        Assert.Equal("B", after.RootElement.GetProperty("next_boot").GetString());
    }

    [Fact]
    public async Task A_trial_that_never_reaches_a_verdict_is_recorded_as_such_on_the_old_slot()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 8), version: "2.0.0");
        await Cli(0, "install", bundle);

        // GRUB counts B's only try and boots it; it hangs before `updater health`. On the next power-on GRUB finds
        // B out of tries and boots A without writing anything.
        _env.Set("B_TRY=1");
        File.WriteAllText(_box.Path("app-ok"), "");
        var back = await Cli(0, "--booted-slot", "A", "health", "--json");

        using var outcome = JsonDocument.Parse(back.Stdout);
        var rollback = outcome.RootElement.GetProperty("rollback_recorded");
        Assert.Equal("no-verdict", rollback.GetProperty("reason").GetString());
        Assert.Equal("B", rollback.GetProperty("from_slot").GetString());
        Assert.Equal("2.0.0", rollback.GetProperty("version").GetString());
        Assert.Contains("never reached a health verdict", rollback.GetProperty("explanation").GetString(), StringComparison.Ordinal);
        Assert.Equal("pass", outcome.RootElement.GetProperty("verdict").GetString());
        Assert.Equal("none", outcome.RootElement.GetProperty("action").GetString());
        // The abandoned trial now reads as the failure it was.
        Assert.Equal("0 0 0", _env.SlotState("B"));
        Assert.True(File.Exists(StateFile("rollback.json")));
        Assert.False(File.Exists(Rebooted));

        var refused = await Cli(6, "--booted-slot", "A", "rollback");
        Assert.Contains("slot B is marked bad", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_check_is_one_error_naming_file_line_and_key_and_changes_nothing()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 9), version: "2.0.0");
        await Cli(0, "install", bundle);
        _env.Set("B_TRY=1");
        File.WriteAllText(_box.Path("health.d/20-bad.conf"), "[check.bad]\ntype = command\ncommand = true\ntimout = 5s\n");
        byte[] envBefore = File.ReadAllBytes(_env.Path);
        var stateBefore = Directory.GetFiles(_box.StateDir, "*", SearchOption.AllDirectories).Order().ToList();

        var result = await Cli(3, "--booted-slot", "B", "health");

        Assert.Equal($"updater: error: {_box.Path("health.d/20-bad.conf")}:4: key 'timout'", result.Stderr.Split(": unknown")[0].Trim());
        Assert.Empty(result.Stdout);
        Assert.Equal(envBefore, File.ReadAllBytes(_env.Path));
        Assert.Equal(stateBefore, Directory.GetFiles(_box.StateDir, "*", SearchOption.AllDirectories).Order().ToList());
    }

    [Fact]
    public async Task A_reboot_command_that_fails_is_reported_and_the_verdict_stands()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 10), version: "2.0.0");
        await Cli(0, "install", bundle);
        _env.Set("B_TRY=1");
        File.WriteAllText(_box.ConfigPath, File.ReadAllText(_box.ConfigPath).Replace($"reboot-command = grub-editenv {_env.Path} list", "reboot-command = echo no permission >&2; exit 3; true", StringComparison.Ordinal));

        var result = await Cli(7, "--booted-slot", "B", "health");

        Assert.Contains("updater: error: reboot command 'echo no permission >&2; exit 3; true", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("exited 3: no permission; the other slot boots next: reboot by hand", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("0 0 0", _env.SlotState("B"));
        using var failure = ReadState("health-failure.json");
        Assert.Equal("B", failure.RootElement.GetProperty("bootname").GetString());
    }

    private string StateFile(string name) => Path.Combine(_box.StateDir, name);

    private JsonDocument ReadState(string name) => JsonDocument.Parse(File.ReadAllText(StateFile(name)));

    [Fact]
    public async Task A_failed_verdict_reboots_without_waiting_for_a_hostile_report_endpoint_and_the_next_boot_sends_the_report()
    {
        var bodies = new System.Collections.Concurrent.ConcurrentQueue<string>();
        bool hostile = true;
        await using var server = await FaultServer.StartAsync(async (context, _) =>
        {
            if (hostile)
            {
                // An unauthenticated header that once put an out-of-range delay into the retry pipeline.
                context.Response.StatusCode = 503;
                context.Response.Headers.RetryAfter = "999999999";
                return;
            }
            using var reader = new StreamReader(context.Request.Body);
            bodies.Enqueue(await reader.ReadToEndAsync());
            context.Response.StatusCode = 204;
        });
        File.WriteAllText(_box.Path("machine-id"), "0123456789abcdef0123456789abcdef\n");
        File.AppendAllText(_box.ConfigPath, $"""


            [channel]
            name = stable
            url = {_box.Path("stable.channel")}
            machine-id-file = {_box.Path("machine-id")}
            report-url = {server.Url("/report")}
            """);
        await Cli(0, "install", await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 9), version: "2.0.0"));
        _env.Set("B_TRY=1");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Cli(7, "--booted-slot", "B", "health");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the verdict took {clock.Elapsed}");
        Assert.True(File.Exists(Rebooted), "the reboot command did not run");
        Assert.Empty(server.Requests);
        Assert.Single(Directory.GetFiles(StateFile("reports")));

        hostile = false;
        File.WriteAllText(_box.Path("app-ok"), "");
        await Cli(0, "--booted-slot", "A", "health");

        var events = bodies.Select(b => JsonDocument.Parse(b).RootElement.GetProperty("event").GetString()).ToList();
        Assert.Equal(["health-failed", "rollback", "health-passed"], events);
        Assert.Empty(Directory.GetFiles(StateFile("reports")));
    }

    [Fact]
    public async Task The_verdict_and_the_rollback_are_reported_to_the_fleet_and_a_dead_endpoint_changes_nothing()
    {
        var bodies = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var server = await FaultServer.StartAsync(async (context, _) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            bodies.Enqueue(await reader.ReadToEndAsync());
            context.Response.StatusCode = 204;
        });
        File.WriteAllText(_box.Path("machine-id"), "0123456789abcdef0123456789abcdef\n");
        string channelSection = $"""


            [channel]
            name = stable
            url = {_box.Path("stable.channel")}
            machine-id-file = {_box.Path("machine-id")}
            report-url = {server.Url("/report")}
            http-attempts = 1
            """;
        File.AppendAllText(_box.ConfigPath, channelSection);
        await Cli(0, "install", await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 8), version: "2.0.0"));
        _env.Set("B_TRY=1");
        await Cli(7, "--booted-slot", "B", "health");
        File.WriteAllText(_box.Path("app-ok"), "");
        await Cli(0, "--booted-slot", "A", "health");

        var events = bodies.Select(b => JsonDocument.Parse(b).RootElement).ToList();
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "health-failed" && e.GetProperty("current_version").GetString() == "2.0.0");
        var rollback = Assert.Single(events, e => e.GetProperty("event").GetString() == "rollback");
        Assert.Equal("health-failed", rollback.GetProperty("rollback_reason").GetString());
        Assert.Equal(Updater.Tests.Fleet.FleetDeviceIdTests.OfTestMachineId, rollback.GetProperty("machine_id").GetString());
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "health-passed");

        // An endpoint that is gone: the verdict and its exit code are the same, the report is only a warning.
        await server.DisposeAsync();
        var passed = await Cli(0, "--booted-slot", "A", "health");
        Assert.Contains("report", passed.Stderr, StringComparison.Ordinal);
    }

    private Task<ProcessResult> Cli(int expectedExit, params string[] arguments) =>
        UpdaterProcess.ExpectAsync(expectedExit, ["--config", _box.ConfigPath, .. arguments]);
}
