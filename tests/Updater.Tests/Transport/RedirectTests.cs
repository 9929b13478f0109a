// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using Updater.Fleet;
using Updater.Tests.Support;
using Updater.Transport;

namespace Updater.Tests.Transport;

/// <summary>
/// Redirects are where a server on the path turns the device into its proxy (blind SSRF to loopback, the LAN,
/// cloud metadata). Same origin only, unless update.conf allows the CDN; never for a POST; never off http(s).
/// </summary>
public sealed class RedirectTests : IDisposable
{
    private readonly TestDevice _device = new();

    public void Dispose() => _device.Dispose();

    private static Task<FaultServer> RedirectingTo(Func<string, string> location, int status = 302) => FaultServer.StartAsync((ctx, _) =>
    {
        ctx.Response.StatusCode = status;
        ctx.Response.Headers.Location = location(ctx.Request.Path);
        return Task.CompletedTask;
    });

    private static Task<FaultServer> Target() => FaultServer.StartAsync((ctx, _) => ctx.Response.Body.WriteAsync("{}"u8.ToArray()).AsTask());

    private static async Task<UpdaterException> FetchChannelAsync(string url, HttpTransportOptions? options = null)
    {
        options ??= new HttpTransportOptions { MaxAttempts = 1 };
        using var http = UpdaterHttpClient.Create(options);
        var fetcher = new ChannelFetcher(url, http, options);
        return await Assert.ThrowsAsync<UpdaterException>(() => fetcher.FetchAsync(null, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task A_redirect_to_another_port_on_loopback_is_refused_and_never_requested()
    {
        await using var other = await Target();
        await using var server = await RedirectingTo(_ => other.Url("/admin"));

        var error = await FetchChannelAsync(server.Url("/stable.channel"));

        Assert.Equal(ExitCode.Io, error.ExitCode);
        Assert.Contains("refused a redirect to another origin", error.Message, StringComparison.Ordinal);
        Assert.Contains("http-redirect-origins", error.Message, StringComparison.Ordinal);
        Assert.Empty(other.Requests);
    }

    [Fact]
    public async Task A_redirect_to_another_host_is_refused_for_a_bundle_too()
    {
        await using var other = await Target();
        string elsewhere = other.BaseUrl.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        await using var server = await RedirectingTo(_ => elsewhere + "/x", status: 307);

        var error = await Assert.ThrowsAsync<UpdaterException>(() =>
            BundleSources.OpenAsync(server.Url(), new HttpTransportOptions { MaxAttempts = 1 }, null, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Contains("refused a redirect to another origin", error.Message, StringComparison.Ordinal);
        Assert.Empty(other.Requests);
    }

    [Fact]
    public async Task A_redirect_off_http_is_refused()
    {
        await using var server = await RedirectingTo(_ => "file:///etc/passwd");

        var error = await FetchChannelAsync(server.Url("/stable.channel"));

        Assert.Contains("refused a redirect to a file: URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_report_is_never_redirected_and_its_body_never_sent_again()
    {
        await using var other = await Target();
        // Same origin even: a POST is not followed anywhere.
        await using var server = await FaultServer.StartAsync((ctx, n) =>
        {
            if (ctx.Request.Path == "/report")
            {
                ctx.Response.StatusCode = 307;
                ctx.Response.Headers.Location = other.Url("/internal");
            }
            return Task.CompletedTask;
        });
        var log = new ConcurrentQueue<string>();
        var options = new HttpTransportOptions { MaxAttempts = 1 };
        using var http = UpdaterHttpClient.Create(options);
        await using var reporter = new FleetReporter(server.Url("/report"), http, options, log.Enqueue);
        reporter.Post(new FleetReport { Event = FleetEvent.Status, Time = DateTimeOffset.UnixEpoch, MachineId = "m", Compatible = "c" });

        await reporter.FlushAsync(TimeSpan.FromMinutes(1), TimeProvider.System);

        Assert.Empty(other.Requests);
        Assert.Single(server.Requests);
        Assert.Contains(log, l => l.Contains("redirects are not followed for a POST", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cdn_origin_allowed_in_update_conf_is_followed()
    {
        byte[] channel = TestChannels.Sign(TestChannels.Document(version: 2), _device.Key);
        await using var cdn = await FaultServer.StartAsync((ctx, _) => ctx.Response.Body.WriteAsync(channel).AsTask());
        await using var server = await RedirectingTo(path => cdn.Url(path));
        _device.AppendConfig($"[channel]\nname = stable\nurl = {server.Url("/stable.channel")}\nmachine-id-file = {_device.MachineIdFile}\nhttp-redirect-origins = https://cdn.example.com {cdn.BaseUrl}\n");
        var time = FakeClock.Create();
        var device = _device.Device(time: time);
        using var http = UpdaterHttpClient.Create(device.Config.RequireChannel().TransportOptions(TimeProvider.System));

        var check = await new ChannelClient(device, http, time).CheckAsync(CancellationToken.None);

        Assert.Equal(2, check.Channel.Document.Version);
        Assert.Single(cdn.Requests);
    }

    [Fact]
    public async Task Same_origin_redirects_stop_at_the_hop_limit()
    {
        await using var server = await RedirectingTo(path => path + "x");

        var error = await FetchChannelAsync(server.Url("/c"));

        Assert.Contains("more than 5 redirects", error.Message, StringComparison.Ordinal);
        Assert.Equal(6, server.Requests.Count);
    }
}
