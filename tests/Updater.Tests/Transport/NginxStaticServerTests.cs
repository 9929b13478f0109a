// SPDX-License-Identifier: Apache-2.0
using Updater.Fleet;
using Updater.Install;
using Updater.Tests.Support;
using Updater.Transport;

namespace Updater.Tests.Transport;

/// <summary>Bundles and channel files on nginx, a plain static server, as a fleet would host them.</summary>
public sealed class NginxStaticServerTests : IAsyncLifetime
{
    private readonly TestDevice _device = new();
    private NginxServer _nginx = null!;
    private string _www = "";

    public async Task InitializeAsync()
    {
        _www = Path.Combine(_device.Root, "www");
        Directory.CreateDirectory(Path.Combine(_www, "bundles"));
        _nginx = await NginxServer.StartAsync(_www);
    }

    public Task DisposeAsync()
    {
        _nginx.Dispose();
        _device.Dispose();
        return Task.CompletedTask;
    }

    private async Task<(long Size, byte[] Image)> PublishBundleAsync(string version, int seed = 1)
    {
        var (path, image) = await _device.MakeBundleAsync(version, seed: seed);
        File.Copy(path, Path.Combine(_www, "bundles", $"{version}.bundle"), overwrite: true);
        return (new FileInfo(path).Length, image);
    }

    [Fact]
    public async Task Installs_a_bundle_from_nginx_with_range_requests()
    {
        var (_, image) = await PublishBundleAsync("2.1.0");

        await using var source = await BundleSources.OpenAsync(_nginx.Url("bundles/2.1.0.bundle"), new HttpTransportOptions(), null, CancellationToken.None);
        var result = await _device.Installer().InstallAsync(source, new InstallOptions(), null, CancellationToken.None);

        Assert.False(((HttpBundleSource)source).RangeIgnored);
        Assert.NotNull(((HttpBundleSource)source).Identity.ETag);
        Assert.Equal("2.1.0", result.Version);
        Assert.Equal(image, _device.ReadSlotB(image.Length));
        Assert.Contains("\" 206 ", await _nginx.AccessLogWithAsync("\" 206 "), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bundle_replaced_on_the_server_mid_install_is_refused()
    {
        await PublishBundleAsync("2.1.0", seed: 1);
        string before = _device.SlotAHash;
        await using var source = await BundleSources.OpenAsync(_nginx.Url("bundles/2.1.0.bundle"), new HttpTransportOptions(), null, CancellationToken.None);
        var (path2, _) = await _device.MakeBundleAsync("2.1.0", imageSize: 2 << 20, seed: 2);
        File.Copy(path2, Path.Combine(_www, "bundles", "2.1.0.bundle"), overwrite: true);
        File.SetLastWriteTimeUtc(Path.Combine(_www, "bundles", "2.1.0.bundle"), DateTime.UtcNow.AddMinutes(5));

        var error = await Assert.ThrowsAsync<UpdaterException>(() => _device.Installer().InstallAsync(source, new InstallOptions(), null, CancellationToken.None));

        Assert.Contains("changed during the transfer", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, _device.SlotAHash);
    }

    [Fact]
    public async Task Checks_a_channel_conditionally_and_installs_the_release_it_names()
    {
        var (size, image) = await PublishBundleAsync("2.1.0");
        await File.WriteAllBytesAsync(Path.Combine(_www, "stable.channel"),
            TestChannels.Sign(TestChannels.Document(bundleUrl: "bundles/2.1.0.bundle", bundleSize: size, manifestSha: await TestChannels.ManifestShaAsync(Path.Combine(_www, "bundles", "2.1.0.bundle")), waves: [new RolloutWave(100, DateTimeOffset.UtcNow.AddDays(-1))], expires: DateTimeOffset.UtcNow.AddDays(30)), _device.Key));
        _device.AppendConfig($"""
            [channel]
            name = stable
            url = {_nginx.Url("stable.channel")}
            machine-id-file = {_device.MachineIdFile}
            """);
        var config = _device.Config;
        using var http = UpdaterHttpClient.Create(new HttpTransportOptions());
        var updater = new ChannelClient(_device.Device(), http, TimeProvider.System);

        var first = await updater.CheckAsync(CancellationToken.None);
        Assert.False(first.NotModified);
        Assert.True(first.Decision.ShouldInstall, first.Decision.Reason);
        Assert.Equal(_nginx.Url("bundles/2.1.0.bundle"), first.BundleLocation);

        var second = await updater.CheckAsync(CancellationToken.None);
        Assert.True(second.NotModified);
        Assert.Contains("\"GET /stable.channel HTTP/1.1\" 304 ", await _nginx.AccessLogWithAsync("\"GET /stable.channel HTTP/1.1\" 304 "), StringComparison.Ordinal);

        await updater.InstallAsync(second, null, CancellationToken.None);
        Assert.Equal(image, _device.ReadSlotB(image.Length));
        Assert.Equal(RolloutVerdict.AwaitingReboot, (await updater.CheckAsync(CancellationToken.None)).Decision.Verdict);
    }
}
