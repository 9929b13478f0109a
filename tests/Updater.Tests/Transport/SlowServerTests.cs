// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using Updater.Install;
using Updater.Tests.Support;
using Updater.Transport;

namespace Updater.Tests.Transport;

/// <summary>
/// Slow retrieval: a server that sends a byte now and then keeps every per-read timeout happy. The whole
/// transfer's deadline and the minimum rate end it anyway, with one error that says which rule did.
/// </summary>
public sealed class SlowServerTests : IDisposable
{
    private readonly TestDevice _device = new();

    public void Dispose() => _device.Dispose();

    private static HttpTransportOptions Options(TimeProvider time) => new()
    {
        Time = time,
        RequestTimeout = TimeSpan.FromSeconds(30),
        MaxAttempts = 5,
        BackoffBase = TimeSpan.FromSeconds(1),
        BackoffMax = TimeSpan.FromMinutes(1),
        Deadline = TimeSpan.FromMinutes(10),
        BundleDeadline = TimeSpan.FromHours(1),
        MinRate = 1024,
        MinRateTime = TimeSpan.FromSeconds(30),
    };

    /// <summary>The head arrives at full speed; every payload request trickles after its first bytes.</summary>
    private async Task<(FaultServer Server, string Before)> TrickleServerAsync(TimeSpan every)
    {
        var (path, _) = await _device.MakeBundleAsync("2.0.0");
        var bytes = await File.ReadAllBytesAsync(path);
        string before = _device.SlotAHash;
        var server = await FaultServer.StartAsync((ctx, n) =>
            RangeResponder.ServeAsync(ctx, bytes, n == 1 ? null : new ServeOptions { TrickleAfter = 10, TrickleEvery = every }));
        return (server, before);
    }

    private async Task InstallAsync(string url, HttpTransportOptions options, TimeProvider time)
    {
        await using var source = await BundleSources.OpenAsync(url, options, null, CancellationToken.None);
        await _device.Installer(time: time).InstallAsync(source, new InstallOptions(), null, CancellationToken.None);
    }

    [Fact]
    public async Task A_trickling_bundle_is_cut_off_by_the_minimum_rate()
    {
        var (server, before) = await TrickleServerAsync(TimeSpan.FromMilliseconds(10));
        await using var _ = server;
        var time = FakeClock.Create();
        var start = time.GetUtcNow();

        var error = await Assert.ThrowsAsync<UpdaterException>(() =>
            FakeClock.RunAsync(time, InstallAsync(server.Url(), Options(time), time), TimeSpan.FromSeconds(1)).WaitAsync(TimeSpan.FromMinutes(2)));

        Assert.Equal(ExitCode.Io, error.ExitCode);
        Assert.Contains("slower than 1024 bytes/s", error.Message, StringComparison.Ordinal);
        Assert.Contains("http-min-rate", error.Message, StringComparison.Ordinal);
        Assert.InRange(time.GetUtcNow() - start, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5));
        Assert.Equal(before, _device.SlotAHash);
    }

    [Fact]
    public async Task A_trickling_bundle_is_cut_off_by_the_whole_transfers_deadline()
    {
        var (server, before) = await TrickleServerAsync(TimeSpan.FromMilliseconds(10));
        await using var _ = server;
        var time = FakeClock.Create();
        var start = time.GetUtcNow();
        var options = Options(time) with { MinRate = 0, BundleDeadline = TimeSpan.FromMinutes(2) };

        var error = await Assert.ThrowsAsync<UpdaterException>(() =>
            FakeClock.RunAsync(time, InstallAsync(server.Url(), options, time), TimeSpan.FromSeconds(1)).WaitAsync(TimeSpan.FromMinutes(2)));

        Assert.Equal(ExitCode.Io, error.ExitCode);
        Assert.Contains("http-bundle-deadline", error.Message, StringComparison.Ordinal);
        Assert.InRange(time.GetUtcNow() - start, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(3));
        Assert.Equal(before, _device.SlotAHash);
    }

    /// <summary>The real-time case, the issue's own numbers: a byte every 0.5 s against a 2 s rate window.</summary>
    [Fact]
    public async Task On_the_real_clock_a_byte_every_half_second_is_cut_off()
    {
        var (server, _) = await TrickleServerAsync(TimeSpan.FromMilliseconds(500));
        await using var __ = server;
        var options = Options(TimeProvider.System) with { MinRateTime = TimeSpan.FromSeconds(2), BundleDeadline = TimeSpan.FromSeconds(20) };
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<UpdaterException>(() => InstallAsync(server.Url(), options, TimeProvider.System).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("slower than 1024 bytes/s", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cut off after {clock.Elapsed}");
    }
}
