// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Updater.Cli;
using Updater.Fleet;
using Updater.Tests.Support;
using Updater.Transport;

namespace Updater.Tests.Fleet;

/// <summary>Fetching channel files from Kestrel: size cap, revoked keys, the --json shape of a check.</summary>
public sealed class ChannelFetchTests : IDisposable
{
    private readonly TestDevice _device = new();

    public void Dispose() => _device.Dispose();

    [Fact]
    public async Task A_server_that_sends_more_than_a_channel_file_may_have_is_cut_off()
    {
        await using var server = await FaultServer.StartAsync(async (ctx, _) =>
        {
            var junk = new byte[16 * 1024];
            try
            {
                while (!ctx.RequestAborted.IsCancellationRequested)
                {
                    await ctx.Response.Body.WriteAsync(junk, ctx.RequestAborted);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
        });
        using var http = UpdaterHttpClient.Create(new HttpTransportOptions());
        var fetcher = new ChannelFetcher(server.Url("/stable.channel"), http, new HttpTransportOptions());

        var error = await Assert.ThrowsAsync<UpdaterException>(() => fetcher.FetchAsync(null, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Equal(ExitCode.BadInput, error.ExitCode);
        Assert.Contains($"more than {VerifiedChannel.MaxFileBytes} bytes: not a channel file", error.Message, StringComparison.Ordinal);
    }

    private ChannelClient NewUpdater(HttpClient http, string url)
    {
        _device.AppendConfig($"[channel]\nname = stable\nurl = {url}\nmachine-id-file = {_device.MachineIdFile}\n");
        var time = FakeClock.Create();
        return new ChannelClient(_device.Device(time: time), http, time);
    }

    [Fact]
    public async Task A_stored_channel_signed_by_a_revoked_key_is_fetched_whole_not_trusted_on_a_304()
    {
        byte[] channel = TestChannels.Sign(TestChannels.Document(version: 3), _device.Key);
        await using var server = await FaultServer.StartAsync(async (ctx, _) =>
        {
            ctx.Response.Headers.ETag = "\"same\"";
            if (ctx.Request.Headers.IfNoneMatch == "\"same\"")
            {
                ctx.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
            await ctx.Response.Body.WriteAsync(channel);
        });
        using var http = UpdaterHttpClient.Create(new HttpTransportOptions());
        await NewUpdater(http, server.Url("/stable.channel")).CheckAsync(CancellationToken.None);

        // The vendor rotates the channel key: root version 2 no longer names the one that signed the stored file.
        using var newKey = Updater.Crypto.SigningKey.Generate();
        server.Roots[2] = TestRoots.Sign(TestRoots.Document(2, [_device.Key], [_device.Key], [newKey]), _device.Key);
        channel = TestChannels.Sign(TestChannels.Document(version: 4), newKey);
        var time = FakeClock.Create();
        var restarted = new ChannelClient(_device.Device(time: time), http, time);

        var check = await restarted.CheckAsync(CancellationToken.None);

        Assert.False(check.NotModified);
        Assert.Equal(4, check.Channel.Document.Version);
        Assert.Null(server.Requests.Last().IfNoneMatch);
    }

    [Fact]
    public async Task Check_json_names_the_verdict_and_the_numbers_behind_it()
    {
        byte[] channel = TestChannels.Sign(TestChannels.Document(version: 3, halted: true), _device.Key);
        await using var server = await FaultServer.StartAsync((ctx, _) => ctx.Response.Body.WriteAsync(channel).AsTask());
        using var http = UpdaterHttpClient.Create(new HttpTransportOptions());
        var check = await NewUpdater(http, server.Url("/stable.channel")).CheckAsync(CancellationToken.None);

        var json = JsonDocument.Parse(JsonSerializer.Serialize(Updater.Cli.CheckReport.From(check, null), CliJsonContext.Default.CheckReport)).RootElement;

        Assert.Equal("halted", json.GetProperty("verdict").GetString());
        Assert.False(json.GetProperty("install").GetBoolean());
        Assert.Equal(3, json.GetProperty("channel_version").GetInt64());
        Assert.Equal("2.1.0", json.GetProperty("release_version").GetString());
        Assert.Equal(server.Url("/bundle"), json.GetProperty("bundle").GetString());
    }

    [Theory]
    [InlineData("file:///etc/shadow")]
    [InlineData("../../x")]
    [InlineData("//169.254.169.254/latest/meta-data")]
    [InlineData("gopher://127.0.0.1:6379/_FLUSHALL")]
    public async Task A_signed_bundle_url_that_leaves_http_or_the_server_is_refused(string bundleUrl)
    {
        byte[] channel = TestChannels.Sign(TestChannels.Document(version: 3, bundleUrl: bundleUrl), _device.Key);
        await using var server = await FaultServer.StartAsync((ctx, _) => ctx.Response.Body.WriteAsync(channel).AsTask());
        using var http = UpdaterHttpClient.Create(new HttpTransportOptions());

        var error = await Assert.ThrowsAsync<UpdaterException>(() => NewUpdater(http, server.Url("/stable.channel")).CheckAsync(CancellationToken.None));

        Assert.Equal(ExitCode.BadInput, error.ExitCode);
        Assert.Contains("release.bundle_url", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bundles/x.bundle", "/channels/bundles/x.bundle")]
    [InlineData("../bundles/x.bundle", "/bundles/x.bundle")]
    [InlineData("/x.bundle", "/x.bundle")]
    public async Task A_relative_bundle_url_resolves_against_the_channel_url(string bundleUrl, string path)
    {
        byte[] channel = TestChannels.Sign(TestChannels.Document(version: 3, bundleUrl: bundleUrl), _device.Key);
        await using var server = await FaultServer.StartAsync((ctx, _) => ctx.Response.Body.WriteAsync(channel).AsTask());
        using var http = UpdaterHttpClient.Create(new HttpTransportOptions());

        var check = await NewUpdater(http, server.Url("/channels/stable.channel")).CheckAsync(CancellationToken.None);

        Assert.Equal(server.Url(path), check.BundleLocation);
    }

    [Theory]
    [InlineData("file:///etc/shadow")]
    [InlineData("ftp://example.com/x")]
    public void A_local_channel_names_local_paths_or_http_urls_only(string bundleUrl)
    {
        var fetcher = new ChannelFetcher(Path.Combine(_device.StateDir, "stable.channel"), new HttpClient(), new HttpTransportOptions());

        var error = Assert.Throws<UpdaterException>(() => fetcher.ResolveBundle(bundleUrl));

        Assert.Equal(ExitCode.BadInput, error.ExitCode);
        Assert.Equal("/srv/x.bundle", fetcher.ResolveBundle("/srv/x.bundle"));
        Assert.Equal(Path.Combine(_device.StateDir, "b", "x.bundle"), fetcher.ResolveBundle("b/x.bundle"));
    }
}
