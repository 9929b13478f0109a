// SPDX-License-Identifier: Apache-2.0
using Microsoft.AspNetCore.Http.Features;
using Updater.Tests.Support;

namespace Updater.Tests.Cli;

/// <summary>
/// `updater check` as a service runs it, against Kestrel with a private CA that requires a client certificate:
/// update.conf's identity keys are loaded and checked (ownership, modes) by the real executable, and what it
/// prints on a failure never holds the bearer token.
/// </summary>
public sealed class FleetIdentityCliTests : IDisposable
{
    private const string Token = "cli-t0ken-9c2f7e01d4b8";

    private readonly TestDevice _device = new();
    private readonly TestPki _pki = new();

    public void Dispose() => _device.Dispose();

    private void Configure(string url)
    {
        string ca = _pki.WriteCa(_device.Path("fleet-ca.pem"));
        var (cert, key) = TestPki.Write(_pki.Client(), _device.Path("device"));
        string headers = _device.Path("fleet.headers");
        File.WriteAllText(headers, "");
        File.SetUnixFileMode(headers, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(headers, $"Authorization: Bearer {Token}\n");
        _device.AppendConfig($"[channel]\nname = stable\nurl = {url}\nmachine-id-file = {_device.MachineIdFile}\nhttp-attempts = 1\n" +
            $"ca-file = {ca}\nclient-certificate = {cert}\nclient-key = {key}\nheader-file = {headers}");
    }

    [Fact]
    public async Task Check_fetches_the_channel_over_mutual_tls_with_the_bearer_token()
    {
        byte[] channel = TestChannels.Sign(TestChannels.Document(version: 7), _device.Key);
        await using var server = await FaultServer.StartAsync((ctx, _) => ctx.Response.Body.WriteAsync(channel).AsTask(), _pki.Https());
        Configure(server.Url("/stable.channel"));

        var result = await UpdaterProcess.ExpectAsync(0, "--config", _device.ConfigPath, "check");

        Assert.Contains("channel 'stable' version 7", result.Stdout, StringComparison.Ordinal);
        Assert.Equal($"Bearer {Token}", Assert.Single(server.Requests).Authorization);
    }

    [Fact]
    public async Task A_failing_check_prints_no_token_even_when_the_server_echoes_it()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            ctx.Response.StatusCode = 401;
            ctx.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = $"Denied: {ctx.Request.Headers.Authorization}";
            return Task.CompletedTask;
        }, _pki.Https());
        Configure(server.Url("/stable.channel"));

        var result = await UpdaterProcess.ExpectAsync((int)ExitCode.Io, "--config", _device.ConfigPath, "check");

        Assert.Contains($"{server.Url("/stable.channel")}: HTTP 401 Denied: (redacted)", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }
}
