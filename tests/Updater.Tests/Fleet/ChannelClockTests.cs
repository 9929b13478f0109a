// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Updater.Cli;
using Updater.Fleet;
using Updater.Tests.Support;
using Updater.Transport;

namespace Updater.Tests.Fleet;

/// <summary>
/// The time a device judges channels by, through ChannelClient against Kestrel: never earlier than the newest
/// signed time accepted, said so when it corrects the clock, clear about a clock ahead, and signed time only
/// when [system] clock = signed.
/// </summary>
public sealed class ChannelClockTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Year2100 = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly TestDevice _device = new();
    private FaultServer _server = null!;
    private byte[] _channel = [];

    public async Task InitializeAsync()
    {
        _server = await FaultServer.StartAsync((ctx, _) =>
        {
            string etag = "\"c" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(_channel))[..8] + "\"";
            ctx.Response.Headers.ETag = etag;
            if (ctx.Request.Headers.IfNoneMatch == etag)
            {
                ctx.Response.StatusCode = 304;
                return Task.CompletedTask;
            }
            return ctx.Response.Body.WriteAsync(_channel).AsTask();
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _device.Dispose();
    }

    private void Publish(ChannelDocument doc) => _channel = TestChannels.Sign(doc, _device.Key);

    private void Configure(string extraSystem = "", string name = "stable")
    {
        File.WriteAllText(_device.ConfigPath, _device.ConfigText(extraSystem));
        _device.AppendConfig($"[channel]\nname = {name}\nurl = {_server.Url("/stable.channel")}\nmachine-id-file = {_device.MachineIdFile}\n");
    }

    private Task<ChannelCheck> CheckAsync(DateTimeOffset now, DateTimeOffset? floor = null)
    {
        var time = new WatchedFakeTimeProvider(now);
        var http = UpdaterHttpClient.Create(new HttpTransportOptions());
        var device = _device.Device(time: time);
        if (floor is { } f)
        {
            device.Clock.AddFloor(f, "the image's build time");
        }
        return new ChannelClient(device, http, time).CheckAsync(CancellationToken.None);
    }

    private static JsonElement Json(ChannelCheck check) =>
        JsonDocument.Parse(JsonSerializer.Serialize(CheckReport.From(check, null), CliJsonContext.Default.CheckReport)).RootElement;

    [Fact]
    public async Task A_clock_behind_the_newest_signed_time_is_corrected_upward_and_reported()
    {
        Configure();
        var issued = TestChannels.T0.AddDays(40);
        Publish(TestChannels.Document(version: 6, issued: issued, expires: issued.AddDays(30), waves: [new(100, issued.AddHours(1))]));
        var first = await CheckAsync(issued.AddHours(2));
        Assert.Null(first.Clock.Correction);
        Assert.False(Json(first).TryGetProperty("clock_correction", out _));

        // The clock falls back to 1970: the rollout is still judged at the issued time, and the check says so.
        var check = await CheckAsync(DateTimeOffset.UnixEpoch);

        Assert.True(check.Clock.Corrected);
        Assert.Equal(issued, check.Clock.Now);
        Assert.Equal(RolloutVerdict.NotStarted, check.Decision.Verdict);
        var json = Json(check);
        Assert.Equal("the device clock says 1970-01-01T00:00Z, the newest signed time is 2027-01-10T00:00Z from channel 'stable' version 6 (issued): using 2027-01-10T00:00Z",
            json.GetProperty("clock_correction").GetString());
        Assert.Equal(issued, json.GetProperty("now").GetDateTimeOffset());
        Assert.Equal(issued, json.GetProperty("channel_issued").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_replayed_expired_channel_is_refused_on_a_clock_at_1970()
    {
        Configure();
        var issued = TestChannels.T0.AddDays(40);
        Publish(TestChannels.Document(version: 6, issued: issued, expires: issued.AddDays(30)));
        await CheckAsync(issued);
        string stored = File.ReadAllText(Path.Combine(_device.StateDir, "channel", "stable", "state.json"));

        Publish(TestChannels.Document(version: 5));
        var error = await Assert.ThrowsAsync<UpdaterException>(() => CheckAsync(DateTimeOffset.UnixEpoch));

        Assert.Equal(ExitCode.BadInput, error.ExitCode);
        Assert.Contains("version 5 expired at 2026-12-31T00:00Z and the device clock says 1970-01-01T00:00Z, the newest signed time is 2027-01-10T00:00Z", error.Message, StringComparison.Ordinal);
        Assert.Equal(stored, File.ReadAllText(Path.Combine(_device.StateDir, "channel", "stable", "state.json")));
    }

    [Fact]
    public async Task The_stored_channel_replayed_after_its_expiry_is_refused()
    {
        Configure();
        Publish(TestChannels.Document(version: 5));
        Assert.False((await CheckAsync(TestChannels.T0)).NotModified);
        Assert.True((await CheckAsync(TestChannels.T0.AddDays(1))).NotModified);

        // The server keeps answering 304 (or is an attacker holding the device on it) after the file expired.
        var error = await Assert.ThrowsAsync<UpdaterException>(() => CheckAsync(TestChannels.T0.AddDays(31)));
        Assert.Contains("version 5 expired at 2026-12-31T00:00Z and the device clock says 2027-01-01T00:00Z: the server still offers no newer one", error.Message, StringComparison.Ordinal);

        // A clock set back to 1970 does not revive it once a signed time past its expiry is known (here one that is
        // not stored: the running image's build time).
        error = await Assert.ThrowsAsync<UpdaterException>(() => CheckAsync(DateTimeOffset.UnixEpoch, floor: TestChannels.T0.AddDays(31)));
        Assert.Contains("expired at 2026-12-31T00:00Z and the device clock says 1970-01-01T00:00Z, the newest signed time is 2027-01-01T00:00Z from the image's build time", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_channel_on_a_clock_ahead_names_the_clock_and_the_expiry()
    {
        Configure();
        Publish(TestChannels.Document(version: 3));

        var error = await Assert.ThrowsAsync<UpdaterException>(() => CheckAsync(Year2100));

        Assert.Contains("expired at 2026-12-31T00:00Z and the device clock says 2100-01-01T00:00Z", error.Message, StringComparison.Ordinal);
        Assert.Contains("if the device clock is wrong (ahead), set it right", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_device.StateDir, "channel")));
    }

    [Fact]
    public async Task A_channel_of_another_name_is_refused_before_anything_is_stored()
    {
        Configure();
        Publish(TestChannels.Document(version: 3, channel: "nightly"));

        var error = await Assert.ThrowsAsync<UpdaterException>(() => CheckAsync(TestChannels.T0));

        Assert.Contains("the file is channel 'nightly', this device follows channel 'stable'", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_device.StateDir, "channel")));
        Assert.False(File.Exists(Path.Combine(_device.StateDir, "clock.json")));
    }

    [Fact]
    public async Task With_signed_time_only_the_device_clock_is_ignored_and_waves_move_as_channels_are_issued()
    {
        Configure("clock = signed");
        var wave = TestChannels.T0.AddDays(1);
        Publish(TestChannels.Document(version: 1, issued: TestChannels.T0, waves: [new(100, wave)]));

        // The device clock is far ahead: with clock = wall this channel would be expired. Signed time says T0.
        var first = await CheckAsync(Year2100);
        Assert.Equal(TestChannels.T0, first.Clock.Now);
        Assert.Equal(RolloutVerdict.NotStarted, first.Decision.Verdict);
        Assert.StartsWith("[system] clock = signed: using the newest signed time 2026-12-01T00:00Z from channel 'stable' version 1 (issued)", Json(first).GetProperty("clock_correction").GetString(), StringComparison.Ordinal);

        // The vendor issues the channel again after the wave's start: now the wave is in force.
        Publish(TestChannels.Document(version: 2, issued: wave.AddHours(1), waves: [new(100, wave)]));
        var second = await CheckAsync(DateTimeOffset.UnixEpoch);
        Assert.Equal(wave.AddHours(1), second.Clock.Now);
        Assert.Equal(RolloutVerdict.Install, second.Decision.Verdict);
    }
}
