// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Updater.Fleet;
using Updater.Tests.Support;
using Updater.Transport;

namespace Updater.Tests.Fleet;

/// <summary>
/// [channel] ca-file, client-certificate/client-key and header-file against Kestrel with a private CA that
/// requires a client certificate: the device trusts only that CA, proves itself with its certificate, and its
/// bearer token goes to the channel's origin and nowhere else, nor into any message.
/// </summary>
public sealed class FleetIdentityTests : IDisposable
{
    private const string Token = "s3cr3t-t0ken-4f1c9a7e2b";
    private const string ApiKey = "k3y-7781d0c2e9aa";

    private readonly TestDevice _device = new();
    private readonly TestPki _pki = new();

    public void Dispose() => _device.Dispose();

    private byte[] Channel(string bundleUrl = "bundle") => TestChannels.Sign(TestChannels.Document(version: 2, bundleUrl: bundleUrl), _device.Key);

    private Task<FaultServer> ServeChannelAsync(byte[] channel) =>
        FaultServer.StartAsync((ctx, _) => ctx.Response.Body.WriteAsync(channel).AsTask(), _pki.Https());

    private string CaFile() => _pki.WriteCa(_device.Path("fleet-ca.pem"));

    private string ClientKeys()
    {
        var (certificate, key) = TestPki.Write(_pki.Client(), _device.Path("device"));
        return $"client-certificate = {certificate}\nclient-key = {key}\n";
    }

    private string HeaderFile()
    {
        string path = _device.Path("fleet.headers");
        File.WriteAllText(path, "");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, $"# the fleet's API gateway\n\nAuthorization: Bearer {Token}\nX-Fleet-Key: {ApiKey}\n");
        return path;
    }

    private void Configure(string url, string keys, int attempts = 1) =>
        _device.AppendConfig($"[channel]\nname = stable\nurl = {url}\nmachine-id-file = {_device.MachineIdFile}\nhttp-attempts = {attempts}\n{keys}");

    private async Task<ChannelCheck> CheckAsync(ConcurrentQueue<string>? log = null)
    {
        var device = _device.Device();
        using var http = UpdaterHttpClient.Create(device.Config.RequireChannel().TransportOptions(TimeProvider.System));
        var client = new ChannelClient(device, http, FakeClock.Create(), log: log is null ? null : log.Enqueue);
        return await client.CheckAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));
    }

    private static bool HasSecret(SeenRequest request) =>
        request.Headers.Values.Any(v => v.Contains(Token, StringComparison.Ordinal) || v.Contains(ApiKey, StringComparison.Ordinal));

    [Fact]
    public async Task A_channel_is_fetched_over_mutual_tls_with_the_private_ca()
    {
        await using var server = await ServeChannelAsync(Channel());
        Configure(server.Url("/stable.channel"), $"ca-file = {CaFile()}\n{ClientKeys()}");

        var check = await CheckAsync();

        Assert.StartsWith("https://127.0.0.1:", server.BaseUrl, StringComparison.Ordinal);
        Assert.Equal(2, check.Channel.Document.Version);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Without_a_client_certificate_the_fetch_fails_with_a_clear_error()
    {
        await using var server = await ServeChannelAsync(Channel());
        Configure(server.Url("/stable.channel"), $"ca-file = {CaFile()}\n");

        var error = await Assert.ThrowsAsync<UpdaterException>(() => CheckAsync());

        Assert.Equal(ExitCode.Io, error.ExitCode);
        // The first request is the trust root's next version (N.root.json beside the channel): it meets the TLS refusal first.
        Assert.StartsWith($"{server.Url("/2.root.json")}: fetching the root file: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1 asks for a client certificate and closed the connection without answering: [channel] sets none (client-certificate, client-key)", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_connection_dropped_by_a_server_that_asked_for_no_certificate_is_not_blamed_on_one()
    {
        var https = _pki.Https();
        https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate;
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            ctx.Abort();
            return Task.CompletedTask;
        }, https);
        Configure(server.Url("/stable.channel"), $"ca-file = {CaFile()}\n");

        var error = await Assert.ThrowsAsync<UpdaterException>(() => CheckAsync());

        Assert.Contains("giving up after 1 attempts", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("client certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_certificate_of_another_ca_is_not_trusted()
    {
        await using var server = await ServeChannelAsync(Channel());
        string otherCa = new TestPki("Some Other CA").WriteCa(_device.Path("other-ca.pem"));
        Configure(server.Url("/stable.channel"), $"ca-file = {otherCa}\n{ClientKeys()}");

        var error = await Assert.ThrowsAsync<UpdaterException>(() => CheckAsync());

        Assert.Equal(ExitCode.Io, error.ExitCode);
        Assert.Contains($"the server certificate of 127.0.0.1 was not trusted: it does not chain to a CA in ca-file {otherCa}", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Without_ca_file_the_system_store_does_not_trust_the_private_ca()
    {
        await using var server = await ServeChannelAsync(Channel());
        Configure(server.Url("/stable.channel"), ClientKeys());

        var error = await Assert.ThrowsAsync<UpdaterException>(() => CheckAsync());

        Assert.Contains("SSL connection could not be established", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Header_file_headers_reach_the_channel_origin_and_not_a_bundle_on_another_origin()
    {
        var bundleBytes = new byte[1000];
        await using var bundles = await FaultServer.StartAsync((ctx, _) => RangeResponder.ServeAsync(ctx, bundleBytes), _pki.Https());
        // The bundle's own credentials (user:password in its URL) still go to it: only the header-file's stay home.
        string elsewhere = bundles.BaseUrl.Replace("https://127.0.0.1", "https://cdn:pw@localhost", StringComparison.Ordinal) + "/b.bundle";
        await using var server = await ServeChannelAsync(Channel(bundleUrl: elsewhere));
        Configure(server.Url("/stable.channel"), $"ca-file = {CaFile()}\n{ClientKeys()}header-file = {HeaderFile()}\n");
        var device = _device.Device();
        var options = device.Config.RequireChannel().TransportOptions(TimeProvider.System);
        using var http = UpdaterHttpClient.Create(options);
        var client = new ChannelClient(device, http, FakeClock.Create());

        var check = await client.CheckAsync(CancellationToken.None);
        // The install goes as far as the bundle's bytes (zeros: not a bundle): what matters is what was sent for them.
        await Assert.ThrowsAnyAsync<Exception>(() => client.InstallAsync(check, null, CancellationToken.None));

        var channelRequest = Assert.Single(server.Requests);
        Assert.Equal($"Bearer {Token}", channelRequest.Authorization);
        Assert.Equal(ApiKey, channelRequest.Headers["x-fleet-key"]);
        Assert.NotEmpty(bundles.Requests);
        Assert.DoesNotContain(bundles.Requests, HasSecret);
        Assert.All(bundles.Requests, r => Assert.Equal("Basic Y2RuOnB3", r.Authorization));
    }

    [Fact]
    public async Task Header_file_headers_do_not_follow_a_redirect_to_an_allowed_cdn()
    {
        await using var cdn = await ServeChannelAsync(Channel());
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = cdn.Url(ctx.Request.Path);
            return Task.CompletedTask;
        }, _pki.Https());
        Configure(server.Url("/stable.channel"), $"ca-file = {CaFile()}\n{ClientKeys()}header-file = {HeaderFile()}\nhttp-redirect-origins = {cdn.BaseUrl}\n");

        var check = await CheckAsync();

        Assert.Equal(2, check.Channel.Document.Version);
        Assert.True(HasSecret(Assert.Single(server.Requests)));
        var cdnRequest = Assert.Single(cdn.Requests);
        Assert.False(HasSecret(cdnRequest));
        Assert.False(cdnRequest.Headers.ContainsKey("x-fleet-key"));
    }

    [Fact]
    public async Task A_report_to_the_channel_origin_carries_the_headers_one_elsewhere_does_not()
    {
        await using var elsewhere = await FaultServer.StartAsync((_, _) => Task.CompletedTask, _pki.Https());
        await using var server = await FaultServer.StartAsync((_, _) => Task.CompletedTask, _pki.Https());
        Configure(server.Url("/stable.channel"), $"ca-file = {CaFile()}\n{ClientKeys()}header-file = {HeaderFile()}\n");
        var options = _device.Config.RequireChannel().TransportOptions(TimeProvider.System);
        using var http = UpdaterHttpClient.Create(options);
        var log = new ConcurrentQueue<string>();
        var report = new FleetReport { Event = FleetEvent.Status, Time = DateTimeOffset.UnixEpoch, MachineId = "m", Compatible = "c" };

        await using (var ours = new FleetReporter(server.Url("/report"), http, options, log.Enqueue))
        await using (var theirs = new FleetReporter(elsewhere.Url("/report"), http, options, log.Enqueue))
        {
            ours.Post(report);
            theirs.Post(report);
            await ours.FlushAsync(TimeSpan.FromMinutes(1), TimeProvider.System);
            await theirs.FlushAsync(TimeSpan.FromMinutes(1), TimeProvider.System);
        }

        Assert.Empty(log);
        Assert.True(HasSecret(Assert.Single(server.Requests)));
        Assert.False(HasSecret(Assert.Single(elsewhere.Requests)));
    }

    [Fact]
    public async Task A_server_that_echoes_the_token_never_gets_it_into_an_error_or_a_log_line()
    {
        await using var server = await FaultServer.StartAsync((ctx, n) =>
        {
            // The worst case: the server quotes the credential back, in its reason phrase and in a redirect.
            string auth = ctx.Request.Headers.Authorization.ToString();
            if (n == 1)
            {
                ctx.Response.StatusCode = 503;
                ctx.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = $"Unavailable for {auth}";
            }
            else
            {
                ctx.Response.StatusCode = 302;
                ctx.Response.Headers.Location = $"https://evil.example.com/{auth.Replace(' ', '/')}/{ctx.Request.Headers["X-Fleet-Key"]}";
            }
            return Task.CompletedTask;
        }, _pki.Https());
        Configure(server.Url("/stable.channel"), $"ca-file = {CaFile()}\n{ClientKeys()}header-file = {HeaderFile()}\n", attempts: 2);
        var log = new ConcurrentQueue<string>();

        var device = _device.Device();
        var options = device.Config.RequireChannel().TransportOptions(TimeProvider.System, log.Enqueue) with { BackoffBase = TimeSpan.FromMilliseconds(10) };
        using var http = UpdaterHttpClient.Create(options);
        var fetcher = new ChannelFetcher(device.Config.RequireChannel().Url, http, options);
        var error = await Assert.ThrowsAsync<UpdaterException>(() => fetcher.FetchAsync(null, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Equal(2, server.Requests.Count);
        Assert.Contains("refused a redirect to another origin", error.Message, StringComparison.Ordinal);
        string output = string.Join("\n", log.Append(error.ToString()));
        Assert.Contains("attempt 1 failed (" + server.Url("/stable.channel") + ": HTTP 503 Unavailable for (redacted))", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, output, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, output, StringComparison.Ordinal);
    }
}
