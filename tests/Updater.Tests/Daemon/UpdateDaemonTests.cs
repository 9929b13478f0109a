// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Partition.Bootloaders;
using Updater.Daemon;
using Updater.Fleet;
using Updater.Tests.Support;
using Updater.Transport;

namespace Updater.Tests.Daemon;

/// <summary>
/// The daemon against Kestrel serving a channel file, a bundle and a report endpoint. Its clock is a watched fake:
/// a test waits until the daemon has armed the timer it expects and only then moves time, so what happens
/// between two polls does not depend on how fast the machine is.
/// </summary>
public sealed class UpdateDaemonTests : IAsyncLifetime
{
    private readonly TestDevice _device = new();
    private readonly WatchedFakeTimeProvider _time = new(TestChannels.T0);
    private readonly FakeRebooter _rebooter = new();
    private readonly StringWriter _logText = new();
    private readonly ConcurrentQueue<string> _reports = new();
    private FaultServer _server = null!;
    private byte[] _bundle = [];
    private byte[] _image = [];
    private byte[] _channel = [];
    private string _manifestSha = "";
    private int _reportStatus = 200;
    private bool _stallPayload;
    private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        var (path, image) = await _device.MakeBundleAsync("2.1.0");
        _bundle = await File.ReadAllBytesAsync(path);
        _manifestSha = await TestChannels.ManifestShaAsync(path);
        _image = image;
        _server = await FaultServer.StartAsync(async (ctx, _) =>
        {
            switch (ctx.Request.Path.Value)
            {
                case "/stable.channel":
                    string etag = "\"c" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(_channel))[..8] + "\"";
                    ctx.Response.Headers.ETag = etag;
                    if (ctx.Request.Headers.IfNoneMatch == etag)
                    {
                        ctx.Response.StatusCode = 304;
                        return;
                    }
                    await ctx.Response.Body.WriteAsync(_channel);
                    return;
                case "/bundles/2.1.0.bundle":
                    bool stall = _stallPayload && ctx.Request.Headers.Range.ToString() != "bytes=0-65535";
                    if (stall)
                    {
                        _stalled.TrySetResult();
                    }
                    await RangeResponder.ServeAsync(ctx, _bundle, new ServeOptions { StallAfter = stall ? 300_000 : null });
                    return;
                case "/report":
                    using (var reader = new StreamReader(ctx.Request.Body))
                    {
                        _reports.Enqueue(await reader.ReadToEndAsync());
                    }
                    ctx.Response.StatusCode = _reportStatus;
                    return;
                default:
                    ctx.Response.StatusCode = 404;
                    return;
            }
        });
        Publish(TestChannels.Document(bundleUrl: "bundles/2.1.0.bundle", bundleSize: _bundle.Length));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _device.Dispose();
    }

    /// <summary>Serves <paramref name="doc"/>, pinning the test bundle's manifest unless the document pins another.</summary>
    private void Publish(ChannelDocument doc) => _channel = TestChannels.Sign(
        doc.Release.ManifestSha256 == TestChannels.NoBundle ? doc with { Release = doc.Release with { ManifestSha256 = _manifestSha } } : doc, _device.Key);

    private void Configure(string extra = "", string interval = "1h", string jitter = "5m") => _device.AppendConfig($"""
        [channel]
        name = stable
        url = {_server.Url("/stable.channel")}
        machine-id-file = {_device.MachineIdFile}
        report-url = {_server.Url("/report")}
        poll-interval = {interval}
        poll-jitter = {jitter}
        http-attempts = 3
        {extra}
        """);

    private (UpdateDaemon Daemon, FleetReporter Reporter, HttpClient Http) NewDaemon(SystemdNotifier? notifier = null, TimeSpan? watchdog = null)
    {
        var config = _device.Config;
        var log = new JournalLog(_logText);
        var options = config.Channel!.TransportOptions(_time, log.Warning);
        var http = UpdaterHttpClient.Create(options);
        var client = new ChannelClient(_device.Device(rebooter: _rebooter, time: _time), http, _time, log: log.Warning);
        var reporter = new FleetReporter(config.Channel.ReportUrl, http, options, log.Warning);
        return (new UpdateDaemon(client, reporter, notifier ?? new SystemdNotifier(null), log, _time, new Random(1), watchdog), reporter, http);
    }

    [Fact]
    public async Task A_clock_behind_the_newest_signed_time_is_logged_once()
    {
        Configure();
        Directory.CreateDirectory(_device.StateDir);
        File.WriteAllText(Path.Combine(_device.StateDir, "clock.json"), """{"time":"2026-12-02T00:00:00+00:00","source":"a test"}""");
        var (daemon, reporter, http) = NewDaemon();
        await using var _ = reporter;
        using var __ = http;

        await daemon.PollOnceAsync(CancellationToken.None);
        await daemon.PollOnceAsync(CancellationToken.None);

        string line = "clock: the device clock says 2026-12-01T00:00Z, the newest signed time is 2026-12-02T00:00Z from a test: using 2026-12-02T00:00Z";
        Assert.Single(_logText.ToString().Split('\n'), l => l.Contains(line, StringComparison.Ordinal));
    }

    private int ChannelRequests => _server.Requests.Count(r => r.Path == "/stable.channel");

    [Fact]
    public async Task Installs_what_the_rollout_allows_then_waits_for_the_trial_and_the_reboot()
    {
        Configure();
        var (daemon, reporter, http) = NewDaemon();
        await using var _ = reporter;
        using var __ = http;

        Assert.Equal(PollOutcome.Installed, await daemon.PollOnceAsync(CancellationToken.None));
        Assert.Equal(_image, _device.ReadSlotB(_image.Length));
        Assert.Contains("activate B Trial", _device.Bootloader.Calls);
        Assert.Equal(0, _rebooter.Reboots);

        // Slot B now waits for its trial boot: the daemon keeps polling (conditionally: a halt must still reach
        // it), knows the release is in place, and installs nothing.
        Assert.Equal(PollOutcome.Installed, await daemon.PollOnceAsync(CancellationToken.None));
        Assert.Equal(2, ChannelRequests);
        Assert.Equal(0, _rebooter.Reboots);

        // While the running side awaits its own verdict, nothing is fetched at all.
        await _device.Bootloader.ActivateAsync("A", Partition.Bootloaders.BootActivation.Trial, CancellationToken.None);
        Assert.Equal(PollOutcome.TrialPending, await daemon.PollOnceAsync(CancellationToken.None));
        Assert.Equal(2, ChannelRequests);
        Assert.NotNull(_server.Requests.Last(r => r.Path == "/stable.channel").IfNoneMatch);
        Assert.Contains("2.1.0 is installed in slot B; reboot to activate", _logText.ToString(), StringComparison.Ordinal);
        Assert.Single(_server.Requests, r => r.Path.StartsWith("/bundles", StringComparison.Ordinal) && r.Range!.StartsWith("bytes=0-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_halt_cancels_a_staged_release_before_any_reboot()
    {
        Configure();
        var (daemon, reporter, http) = NewDaemon();
        await using var _ = reporter;
        using var __ = http;
        Assert.Equal(PollOutcome.Installed, await daemon.PollOnceAsync(CancellationToken.None));
        Assert.Equal("B", (await _device.Bootloader.ReadStateAsync(CancellationToken.None)).NextBoot);

        Publish(TestChannels.Document(version: 2, bundleUrl: "bundles/2.1.0.bundle", bundleSize: _bundle.Length, halted: true));
        Assert.Equal(PollOutcome.StagedCancelled, await daemon.PollOnceAsync(CancellationToken.None));

        Assert.Equal("bad B", _device.Bootloader.Calls[^1]);
        Assert.Equal("A", (await _device.Bootloader.ReadStateAsync(CancellationToken.None)).NextBoot);
        Assert.Equal(0, _rebooter.Reboots);
        Assert.Contains("cancelled the staged slot B (2.1.0): halted", _logText.ToString(), StringComparison.Ordinal);
        // Cancelled is not rolled back: once the halt is lifted, the rollout may install it again.
        var device = await _device.Device().ReadAsync(CancellationToken.None);
        Assert.False(device.OtherSide.WasAbandoned);
    }

    [Fact]
    public async Task An_unchanged_channel_costs_one_conditional_request_answered_304()
    {
        Configure();
        Publish(TestChannels.Document(bundleUrl: "bundles/2.1.0.bundle", bundleSize: _bundle.Length, halted: true));
        var (daemon, reporter, http) = NewDaemon();
        await using var _ = reporter;
        using var __ = http;

        Assert.Equal(PollOutcome.NothingToDo, await daemon.PollOnceAsync(CancellationToken.None));
        Assert.Equal(PollOutcome.NothingToDo, await daemon.PollOnceAsync(CancellationToken.None));

        var polls = _server.Requests.Where(r => r.Path == "/stable.channel").ToList();
        Assert.Equal(2, polls.Count);
        Assert.Null(polls[0].IfNoneMatch);
        Assert.NotNull(polls[1].IfNoneMatch);
        Assert.DoesNotContain(_server.Requests, r => r.Path.StartsWith("/bundles", StringComparison.Ordinal));
        Assert.Contains("halted", _logText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Never_installs_while_a_trial_boot_awaits_its_verdict()
    {
        Configure();
        await _device.Bootloader.ActivateAsync("A", BootActivation.Trial, CancellationToken.None);
        var (daemon, reporter, http) = NewDaemon();
        await using var _ = reporter;
        using var __ = http;

        Assert.Equal(PollOutcome.TrialPending, await daemon.PollOnceAsync(CancellationToken.None));
        Assert.Empty(_server.Requests);
        Assert.Equal(TestDevice.Pattern(4096, TestDevice.SlotBFill), _device.ReadSlotB(4096));
    }

    [Fact]
    public async Task Reboots_only_inside_the_configured_window()
    {
        Configure("auto-reboot = yes\nreboot-window = 02:00-04:00");
        var (daemon, reporter, http) = NewDaemon();
        await using var _ = reporter;
        using var __ = http;

        // 00:00 is outside the window: installed, no reboot. Nothing here waits on the clock, so it stands still.
        Assert.Equal(PollOutcome.Installed, await daemon.PollOnceAsync(CancellationToken.None));
        Assert.Equal(0, _rebooter.Reboots);
        // The install's reports are delivered before time moves, so no request of theirs can time out on the jump.
        await WaitUntilAsync(() => reporter.Delivered >= 2);
        _time.Advance(TimeSpan.FromHours(2.5));
        Assert.Equal(PollOutcome.Rebooted, await daemon.PollOnceAsync(CancellationToken.None));
        Assert.Equal(1, _rebooter.Reboots);
    }

    [Fact]
    public async Task A_failing_report_endpoint_never_blocks_or_fails_the_update()
    {
        _reportStatus = 500;
        Configure();
        var (daemon, reporter, http) = NewDaemon();
        using var __ = http;

        Assert.Equal(PollOutcome.Installed, await daemon.PollOnceAsync(CancellationToken.None));
        Assert.Equal(_image, _device.ReadSlotB(_image.Length));
        await WaitUntilAsync(() => !_reports.IsEmpty);
        Assert.Equal(0, reporter.Delivered);
        await reporter.DisposeAsync();
    }

    [Fact]
    public async Task Reports_install_started_and_finished_with_versions_and_machine_id()
    {
        Configure();
        var (daemon, reporter, http) = NewDaemon();
        using var __ = http;

        await daemon.PollOnceAsync(CancellationToken.None);
        await WaitUntilAsync(() => _reports.Count >= 2);
        await reporter.DisposeAsync();

        var events = _reports.Select(r => JsonDocument.Parse(r).RootElement).ToList();
        Assert.Equal(["install-started", "install-finished"], events.Select(e => e.GetProperty("event").GetString()).Take(2));
        Assert.All(events, e => Assert.Equal(Updater.Tests.Fleet.FleetDeviceIdTests.OfTestMachineId, e.GetProperty("machine_id").GetString()));
        Assert.Equal("2.1.0", events[1].GetProperty("target_version").GetString());
    }

    [Fact]
    public async Task A_factory_device_reports_the_version_its_image_info_names()
    {
        // A freshly flashed device: no install recorded the booted slot's version, the image build wrote it.
        _device.WriteImageInfo(0, version: "1.0.0");
        Configure();
        var (daemon, reporter, http) = NewDaemon();
        using var __ = http;

        await daemon.PollOnceAsync(CancellationToken.None);
        await WaitUntilAsync(() => _reports.Count >= 2);
        await reporter.DisposeAsync();

        var events = _reports.Select(r => JsonDocument.Parse(r).RootElement).ToList();
        Assert.All(events, e => Assert.Equal("1.0.0", e.GetProperty("current_version").GetString()));
    }

    [Fact]
    public async Task A_bundle_whose_size_disagrees_with_the_channel_is_refused_and_reported()
    {
        Configure();
        Publish(TestChannels.Document(bundleUrl: "bundles/2.1.0.bundle", bundleSize: _bundle.Length + 1));
        string before = _device.SlotAHash;
        var (daemon, reporter, http) = NewDaemon();
        using var __ = http;

        var error = await Assert.ThrowsAsync<UpdaterException>(() => daemon.PollOnceAsync(CancellationToken.None));

        Assert.Equal(ExitCode.BadInput, error.ExitCode);
        Assert.Contains($"says {_bundle.Length + 1}", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, _device.SlotAHash);
        await WaitUntilAsync(() => _reports.Any(r => r.Contains("install-failed", StringComparison.Ordinal)));
        await reporter.DisposeAsync();
    }

    [Fact]
    public async Task An_expired_channel_is_refused_with_a_clear_error()
    {
        Configure();
        Publish(TestChannels.Document(bundleUrl: "bundles/2.1.0.bundle", bundleSize: _bundle.Length, expires: _time.GetUtcNow().AddMinutes(-1)));
        var (daemon, reporter, http) = NewDaemon();
        await using var _ = reporter;
        using var __ = http;

        var error = await Assert.ThrowsAsync<UpdaterException>(() => daemon.PollOnceAsync(CancellationToken.None));
        Assert.Contains("expired", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.Requests, r => r.Path.StartsWith("/bundles", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Runs_polls_on_the_clock_tells_systemd_and_stops_cleanly_when_cancelled()
    {
        Configure(interval: "10m", jitter: "0");
        Publish(TestChannels.Document(bundleUrl: "bundles/2.1.0.bundle", bundleSize: _bundle.Length, halted: true));
        string socketPath = Path.Combine(_device.Root, "notify.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        using var notifier = new SystemdNotifier(socketPath);
        var (daemon, reporter, http) = NewDaemon(notifier);
        using var __ = http;
        using var stop = new CancellationTokenSource();

        var run = daemon.RunAsync(stop.Token);
        // The daemon arms its ten-minute wait only once the first poll is done: from then on nothing moves
        // until the clock does.
        await _time.WaitForTimerAsync(TimeSpan.FromMinutes(10));
        Assert.Equal(1, ChannelRequests);
        // The start's status report is out too, so the jumps below cannot time out a request of its.
        await WaitUntilAsync(() => reporter.Delivered >= 1);
        // Nine minutes are not the interval; the tenth minute is, and the second poll ends in the next wait.
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(1, ChannelRequests);
        _time.Advance(TimeSpan.FromMinutes(1));
        await _time.WaitForTimerAsync(TimeSpan.FromMinutes(10));
        Assert.Equal(2, ChannelRequests);
        await stop.CancelAsync();
        // Cancelled, the daemon stops without waiting on its clock (its status reports are already out).
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        await reporter.DisposeAsync();

        var messages = new List<string>();
        var buffer = new byte[4096];
        while (listener.Available > 0)
        {
            int n = listener.Receive(buffer);
            messages.Add(Encoding.UTF8.GetString(buffer, 0, n));
        }
        Assert.StartsWith("READY=1", messages[0], StringComparison.Ordinal);
        Assert.StartsWith("STOPPING=1", messages[^1], StringComparison.Ordinal);
        Assert.Contains("<6>stopping", _logText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_mid_install_leaves_a_state_the_next_start_resumes()
    {
        Configure();
        _stallPayload = true;
        var (daemon, reporter, http) = NewDaemon();
        using var __ = http;
        using var stop = new CancellationTokenSource();

        var run = daemon.RunAsync(stop.Token);
        await _stalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        // The stalled download ends with the cancellation itself, not with a timeout: no clock to move.
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        await reporter.DisposeAsync();

        Assert.Equal("2.1.0", new Updater.State.StateDirectory(_device.StateDir).ReadJournal()?.Version);
        Assert.DoesNotContain("activate B Trial", _device.Bootloader.Calls);
        Assert.Contains("interrupted; it resumes on the next start", _logText.ToString(), StringComparison.Ordinal);

        _stallPayload = false;
        var (next, reporter2, http2) = NewDaemon();
        using var ___ = http2;
        await using var ____ = reporter2;
        Assert.Equal(PollOutcome.Installed, await next.PollOnceAsync(CancellationToken.None));
        Assert.Equal(_image, _device.ReadSlotB(_image.Length));
        var lastPayload = _server.Requests.Last(r => r.Path.StartsWith("/bundles", StringComparison.Ordinal));
        Assert.NotEqual("bytes=0-65535", lastPayload.Range);
        Assert.Contains(", resumed); it is tried on the next boot", _logText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_release_that_was_rolled_back_is_not_installed_again_and_is_reported_once()
    {
        Configure();
        var slotB = _device.Config.Slots.Find("rootfs", "B")!;
        await new Updater.State.StateDirectory(_device.StateDir).WriteSlotAsync(slotB, new Updater.State.SlotRecord
        {
            Slot = slotB.Name, Bootname = "B", Version = "2.1.0", SecurityVersion = 1, Compatible = TestDevice.Compatible,
            ImageSha256 = new string('0', 64), ImageSize = 1, ManifestSha256 = new string('0', 64), SignedBy = "test", InstalledAt = _time.GetUtcNow(),
        }, [], [], CancellationToken.None);
        await new Updater.State.StateDirectory(_device.StateDir).WriteRollbackAsync(new Updater.State.RollbackRecord
        {
            FromSlot = "B", ToSlot = "A", Version = "2.1.0", Reason = Updater.State.RollbackReason.HealthFailed,
            ManifestSha256 = new string('0', 64), InstalledAt = _time.GetUtcNow(),
            Explanation = "slot B (2.1.0) failed its health checks on a trial boot: app: inactive", DetectedAt = _time.GetUtcNow(),
        }, CancellationToken.None);
        await _device.Bootloader.MarkBadAsync("B", CancellationToken.None);
        var (daemon, reporter, http) = NewDaemon();
        using var __ = http;

        Assert.Equal(PollOutcome.NothingToDo, await daemon.PollOnceAsync(CancellationToken.None));
        Assert.Equal(PollOutcome.NothingToDo, await daemon.PollOnceAsync(CancellationToken.None));
        await WaitUntilAsync(() => !_reports.IsEmpty);
        await reporter.DisposeAsync();

        Assert.DoesNotContain(_server.Requests, r => r.Path.StartsWith("/bundles", StringComparison.Ordinal));
        var report = JsonDocument.Parse(Assert.Single(_reports)).RootElement;
        Assert.Equal("rollback", report.GetProperty("event").GetString());
        // One meaning on the wire, as `updater health` sends it: the reason code; the sentence is the message.
        Assert.Equal("health-failed", report.GetProperty("rollback_reason").GetString());
        Assert.Contains("2.1.0 was rolled back on this device (slot B)", report.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unsigned_channel_text_reaches_the_notify_socket_and_the_journal_only_escaped()
    {
        // The key id of a signature is not signed: the server chooses it. It is checked for its shape (hex) before
        // anything quotes it, and whatever the refusal says goes out escaped.
        Configure(interval: "10m", jitter: "0");
        var file = System.Text.Json.Nodes.JsonNode.Parse(TestChannels.Sign(TestChannels.Document(bundleUrl: "bundles/2.1.0.bundle", bundleSize: _bundle.Length), _device.Key))!;
        file["signatures"]![0]!["key_id"] = "x\nWATCHDOG=trigger\n\n<0>forged\r\n<0>forged \u001b]0;owned\u0007\u001b[2J";
        _channel = Encoding.UTF8.GetBytes(file.ToJsonString());
        using var listener = NotifyListener(out string socketPath);
        using var notifier = new SystemdNotifier(socketPath);
        var (daemon, reporter, http) = NewDaemon(notifier, watchdog: TimeSpan.FromMinutes(5));
        using var __ = http;
        using var stop = new CancellationTokenSource();

        var run = daemon.RunAsync(stop.Token);
        await WaitUntilAsync(() => _logText.ToString().Contains("signature 0 is malformed", StringComparison.Ordinal));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        await reporter.DisposeAsync();

        var assignments = Receive(listener).SelectMany(d => d.Split('\n')).ToList();
        Assert.Contains(assignments, a => a.StartsWith("STATUS=last poll failed", StringComparison.Ordinal));
        Assert.All(assignments, a => Assert.Matches("^(READY=1|WATCHDOG=1|STOPPING=1|STATUS=[^\x00-\x1f\x7f-\x9f]*)$", a));
        var lines = _logText.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.Matches("^<[3-7]>[^\x00-\x1f\x7f-\x9f]*$", l));
    }

    [Fact]
    public async Task A_stalled_install_stops_the_watchdog_pings_so_systemd_can_restart_the_agent()
    {
        Configure(interval: "10m", jitter: "0");
        _stallPayload = true;
        using var listener = NotifyListener(out string socketPath);
        using var notifier = new SystemdNotifier(socketPath);
        var (daemon, reporter, http) = NewDaemon(notifier, watchdog: TimeSpan.FromSeconds(2));
        using var __ = http;
        using var stop = new CancellationTokenSource();

        var run = daemon.RunAsync(stop.Token);
        await _stalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // Whatever arrived before the stall (ready, the first pings, chunk progress) is not the question.
        await Task.Delay(500);
        Receive(listener);
        // Three watchdog intervals' worth of half-intervals pass with no byte moving: a timer of its own would ping
        // each second; progress-fed, nothing may. (The transport's own deadlines, 30 s and more, are not reached.)
        for (int i = 0; i < 3; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(300);
        }
        var whileStalled = Receive(listener);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        await reporter.DisposeAsync();

        Assert.DoesNotContain(whileStalled, d => d.Contains("WATCHDOG=1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_watchdog_is_fed_while_the_loop_sleeps_between_polls()
    {
        Configure(interval: "10m", jitter: "0");
        Publish(TestChannels.Document(bundleUrl: "bundles/2.1.0.bundle", bundleSize: _bundle.Length, halted: true));
        using var listener = NotifyListener(out string socketPath);
        using var notifier = new SystemdNotifier(socketPath);
        var (daemon, reporter, http) = NewDaemon(notifier, watchdog: TimeSpan.FromSeconds(50));
        using var __ = http;
        using var stop = new CancellationTokenSource();

        var run = daemon.RunAsync(stop.Token);
        // Asleep after its first poll, the agent wakes each half interval to ping: ten minutes of sleep is not a hang.
        // (25 s: a due time no HTTP timeout of the poll shares.)
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(25));
        await WaitUntilAsync(() => reporter.Delivered >= 1);
        Receive(listener);
        _time.Advance(TimeSpan.FromSeconds(25));
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(25));
        var afterSlice = Receive(listener);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        await reporter.DisposeAsync();

        Assert.Contains("WATCHDOG=1", afterSlice);
        Assert.Equal(1, ChannelRequests);
    }

    private Socket NotifyListener(out string socketPath)
    {
        socketPath = Path.Combine(_device.Root, "notify.sock");
        var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        return listener;
    }

    private static List<string> Receive(Socket listener)
    {
        var messages = new List<string>();
        var buffer = new byte[64 * 1024];
        while (listener.Available > 0)
        {
            int n = listener.Receive(buffer);
            messages.Add(Encoding.UTF8.GetString(buffer, 0, n));
        }
        return messages;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 3000 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }
}
