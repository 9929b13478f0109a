// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using Updater.Fleet;
using Updater.Tests.Support;
using Updater.Transport;

namespace Updater.Tests.Transport;

/// <summary>
/// A server's Retry-After is its wish, not our schedule: absurd values (31 years as seconds, a date in the year
/// 9999, garbage) end in the usual bounded retries and one clear error, for a bundle, a channel and a report.
/// </summary>
public sealed class RetryAfterTests
{
    public static TheoryData<string> Absurd => new() { "999999999", "Fri, 31 Dec 9999 23:59:59 GMT", "99999999999999999999999", "-5", "soon" };

    private static HttpTransportOptions Options(TimeProvider time) => new()
    {
        Time = time,
        RequestTimeout = TimeSpan.FromSeconds(30),
        MaxAttempts = 3,
        BackoffBase = TimeSpan.FromSeconds(1),
        BackoffMax = TimeSpan.FromMinutes(1),
        Deadline = TimeSpan.FromMinutes(10),
    };

    private static Task<FaultServer> Unavailable(string retryAfter) => FaultServer.StartAsync((ctx, _) =>
    {
        ctx.Response.StatusCode = 503;
        ctx.Response.Headers.RetryAfter = retryAfter;
        return Task.CompletedTask;
    });

    [Theory]
    [MemberData(nameof(Absurd))]
    public async Task Installing_from_a_url_gives_up_after_the_attempts_with_one_clear_error(string retryAfter)
    {
        await using var server = await Unavailable(retryAfter);
        var time = FakeClock.Create();
        var start = time.GetUtcNow();

        var error = await Assert.ThrowsAsync<UpdaterException>(() =>
            FakeClock.RunAsync(time, BundleSources.OpenAsync(server.Url(), Options(time), null, CancellationToken.None), TimeSpan.FromSeconds(1)));

        Assert.Equal(ExitCode.Io, error.ExitCode);
        Assert.Contains("giving up after 3 attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 503", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.Requests.Count);
        // Two waits, each at most the backoff ceiling (1 min), and nothing near the server's wish.
        Assert.InRange(time.GetUtcNow() - start, TimeSpan.Zero, TimeSpan.FromMinutes(3));
    }

    [Theory]
    [MemberData(nameof(Absurd))]
    public async Task A_channel_check_gives_up_after_the_attempts_with_one_clear_error(string retryAfter)
    {
        await using var server = await Unavailable(retryAfter);
        var time = FakeClock.Create();
        using var http = UpdaterHttpClient.Create(Options(time));
        var fetcher = new ChannelFetcher(server.Url("/stable.channel"), http, Options(time));

        var error = await Assert.ThrowsAsync<UpdaterException>(() => FakeClock.RunAsync(time, fetcher.FetchAsync(null, CancellationToken.None), TimeSpan.FromSeconds(1)));

        Assert.Equal(ExitCode.Io, error.ExitCode);
        Assert.Contains("giving up after 3 attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(Absurd))]
    public async Task A_report_is_dropped_after_the_attempts_and_the_reporter_stays_bounded(string retryAfter)
    {
        await using var server = await Unavailable(retryAfter);
        var time = FakeClock.Create();
        var log = new ConcurrentQueue<string>();
        using var http = UpdaterHttpClient.Create(Options(time));
        var reporter = new FleetReporter(server.Url("/report"), http, Options(time), log.Enqueue);
        reporter.Post(new FleetReport { Event = FleetEvent.Status, Time = time.GetUtcNow(), MachineId = "m", Compatible = "c" });

        await FakeClock.RunAsync(time, reporter.FlushAsync(TimeSpan.FromHours(1), time), TimeSpan.FromSeconds(1));
        await reporter.DisposeAsync();

        Assert.Equal(0, reporter.Delivered);
        Assert.Equal(3, server.Requests.Count);
        string line = Assert.Single(log, l => l.Contains("dropped", StringComparison.Ordinal));
        Assert.Contains("giving up after 3 attempts", line, StringComparison.Ordinal);
        Assert.Contains("HTTP 503", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_retry_after_is_clamped_to_the_ceiling_and_to_the_time_left()
    {
        Assert.Equal(TimeSpan.FromMinutes(1), HttpRetry.ClampDelay(TimeSpan.FromSeconds(999999999), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1)));
        Assert.Equal(TimeSpan.FromSeconds(5), HttpRetry.ClampDelay(TimeSpan.MaxValue, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5)));
        Assert.Equal(TimeSpan.Zero, HttpRetry.ClampDelay(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(-3)));
        Assert.Equal(TimeSpan.FromSeconds(7), HttpRetry.ClampDelay(TimeSpan.FromSeconds(7), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1)));
    }

    /// <summary>The one real-time case: the real timer rejects a 31-year delay outright, so this is where the crash was.</summary>
    [Fact]
    public async Task On_the_real_clock_an_absurd_retry_after_is_bounded_too()
    {
        await using var server = await Unavailable("999999999");
        var options = Options(TimeProvider.System) with { BackoffBase = TimeSpan.FromMilliseconds(100), BackoffMax = TimeSpan.FromMilliseconds(500) };

        var error = await Assert.ThrowsAsync<UpdaterException>(() => BundleSources.OpenAsync(server.Url(), options, null, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Contains("giving up after 3 attempts", error.Message, StringComparison.Ordinal);
    }
}
