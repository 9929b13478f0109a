// SPDX-License-Identifier: Apache-2.0
using Microsoft.Extensions.Time.Testing;
using Updater.Install;
using Updater.Tests.Support;
using Updater.Transport;

namespace Updater.Tests.Transport;

/// <summary>`updater install URL` against Kestrel on loopback, with the faults a real network and real servers produce.</summary>
public sealed class HttpInstallTests : IDisposable
{
    private readonly TestDevice _device = new();

    public void Dispose() => _device.Dispose();

    private static HttpTransportOptions Options(TimeProvider? time = null) => new()
    {
        Time = time ?? TimeProvider.System,
        RequestTimeout = TimeSpan.FromSeconds(30),
        MaxAttempts = 5,
        BackoffBase = TimeSpan.FromSeconds(1),
        BackoffMax = TimeSpan.FromMinutes(2),
        Deadline = TimeSpan.FromMinutes(10),
    };

    private async Task<InstallResult> InstallAsync(string url, HttpTransportOptions options, TimeProvider? time = null)
    {
        await using var source = await BundleSources.OpenAsync(url, options, null, CancellationToken.None);
        return await _device.Installer(time: time).InstallAsync(source, new InstallOptions(), null, CancellationToken.None);
    }

    /// <summary>Payload requests: ranged GETs that start past the bundle's head.</summary>
    private static List<long> RangeStarts(FaultServer server) =>
        server.Requests.Where(r => r.Range is not null).Select(r => long.Parse(r.Range!["bytes=".Length..].Split('-')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();

    [Fact]
    public async Task Installs_from_a_url_the_same_image_as_from_the_file()
    {
        var (path, image) = await _device.MakeBundleAsync("2.0.0");
        var bytes = await File.ReadAllBytesAsync(path);
        await using var server = await FaultServer.StartAsync((ctx, _) => RangeResponder.ServeAsync(ctx, bytes));

        var result = await InstallAsync(server.Url(), Options());

        Assert.Equal("2.0.0", result.Version);
        Assert.Equal("B", result.TargetBootname);
        Assert.Equal(image, _device.ReadSlotB(image.Length));
        Assert.Contains("activate B Trial", _device.Bootloader.Calls);
        Assert.All(server.Requests, r => Assert.NotNull(r.Range));
    }

    [Fact]
    public async Task A_dropped_connection_resumes_with_a_range_from_the_byte_where_it_stopped()
    {
        var (path, image) = await _device.MakeBundleAsync("2.0.0");
        var bytes = await File.ReadAllBytesAsync(path);
        const long dropAfter = 200_000;
        await using var server = await FaultServer.StartAsync((ctx, n) =>
            RangeResponder.ServeAsync(ctx, bytes, new ServeOptions { DropAfter = n == 2 ? dropAfter : null }));

        var result = await InstallAsync(server.Url(), Options());

        Assert.Equal(image, _device.ReadSlotB(image.Length));
        var starts = RangeStarts(server);
        // Request 1 read the head (header to index); request 2, the payload, was cut; request 3 must continue exactly where its body was cut.
        Assert.True(starts.Count >= 3, string.Join(",", starts));
        // An abort may discard what the server had queued, so the client resumes at the last byte it really got:
        // past the start of the cut request (nothing fetched twice) and no further than the server sent.
        Assert.InRange(starts[2], starts[1] + 1, starts[1] + dropAfter);
        Assert.All(server.Requests.Skip(1), r => Assert.Equal("\"v1\"", r.IfRange));
        Assert.False(result.Resumed);
    }

    [Fact]
    public async Task Service_unavailable_is_retried_with_backoff_on_the_clock()
    {
        var (path, image) = await _device.MakeBundleAsync("2.0.0");
        var bytes = await File.ReadAllBytesAsync(path);
        await using var server = await FaultServer.StartAsync(async (ctx, n) =>
        {
            if (n <= 2)
            {
                ctx.Response.StatusCode = 503;
                return;
            }
            await RangeResponder.ServeAsync(ctx, bytes);
        });
        var time = FakeClock.Create();

        await FakeClock.RunAsync(time, InstallAsync(server.Url(), Options(time), time), TimeSpan.FromMilliseconds(500));

        Assert.Equal(image, _device.ReadSlotB(image.Length));
        Assert.True(time.GetUtcNow() > FakeClock.Create().GetUtcNow(), "the retries must have waited on the clock");
    }

    [Fact]
    public async Task Too_many_requests_waits_the_retry_after_the_server_asks_for()
    {
        var (path, _) = await _device.MakeBundleAsync("2.0.0");
        var bytes = await File.ReadAllBytesAsync(path);
        await using var server = await FaultServer.StartAsync(async (ctx, n) =>
        {
            if (n == 1)
            {
                ctx.Response.StatusCode = 429;
                ctx.Response.Headers.RetryAfter = "30";
                return;
            }
            await RangeResponder.ServeAsync(ctx, bytes);
        });
        var time = FakeClock.Create();
        var retrying = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var open = BundleSources.OpenAsync(server.Url(), Options(time) with { OnRetry = _ => retrying.TrySetResult() }, null, CancellationToken.None);

        // The retry's timer is armed right after it is announced.
        await retrying.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(100);
        time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(100);
        Assert.Single(server.Requests);
        Assert.False(open.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));
        await using var source = await open.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(bytes.Length, source.Length);
    }

    [Fact]
    public async Task A_stalled_transfer_times_out_on_the_clock_and_resumes()
    {
        var (path, image) = await _device.MakeBundleAsync("2.0.0");
        var bytes = await File.ReadAllBytesAsync(path);
        var stalled = new TaskCompletionSource();
        await using var server = await FaultServer.StartAsync((ctx, n) =>
        {
            if (n == 2)
            {
                stalled.TrySetResult();
            }
            return RangeResponder.ServeAsync(ctx, bytes, new ServeOptions { StallAfter = n == 2 ? 100_000 : null });
        });
        var time = FakeClock.Create();

        var install = InstallAsync(server.Url(), Options(time), time);
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await FakeClock.RunAsync(time, install, TimeSpan.FromSeconds(5));

        Assert.Equal(image, _device.ReadSlotB(image.Length));
        var starts = RangeStarts(server);
        Assert.InRange(starts[2], starts[1] + 1, starts[1] + 100_000);
    }

    [Fact]
    public async Task A_server_that_ignores_range_still_works()
    {
        var (path, image) = await _device.MakeBundleAsync("2.0.0");
        var bytes = await File.ReadAllBytesAsync(path);
        await using var server = await FaultServer.StartAsync((ctx, _) => RangeResponder.ServeAsync(ctx, bytes, new ServeOptions { IgnoreRange = true }));

        await using var source = await BundleSources.OpenAsync(server.Url(), Options(), null, CancellationToken.None);
        await _device.Installer().InstallAsync(source, new InstallOptions(), null, CancellationToken.None);

        Assert.True(((HttpBundleSource)source).RangeIgnored);
        Assert.Equal(image, _device.ReadSlotB(image.Length));
    }

    [Fact]
    public async Task A_content_length_that_disagrees_with_the_range_is_refused_and_the_booted_slot_is_untouched()
    {
        var (path, _) = await _device.MakeBundleAsync("2.0.0");
        var bytes = await File.ReadAllBytesAsync(path);
        string before = _device.SlotAHash;
        await using var server = await FaultServer.StartAsync((ctx, n) =>
            RangeResponder.ServeAsync(ctx, bytes, new ServeOptions { ContentLengthLie = n >= 2 ? 4096 : 0 }));

        var error = await Assert.ThrowsAsync<UpdaterException>(() => InstallAsync(server.Url(), Options()));

        Assert.Equal(ExitCode.BadInput, error.ExitCode);
        Assert.Contains("Content-Length", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, _device.SlotAHash);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task A_server_that_sends_past_the_range_is_cut_off_at_the_pinned_length()
    {
        var (path, image) = await _device.MakeBundleAsync("2.0.0");
        var bytes = await File.ReadAllBytesAsync(path);
        await using var server = await FaultServer.StartAsync((ctx, _) => RangeResponder.ServeAsync(ctx, bytes, new ServeOptions { Endless = true }));

        await InstallAsync(server.Url(), Options()).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(image, _device.ReadSlotB(image.Length));
    }

    [Fact]
    public async Task A_range_stream_never_returns_a_byte_past_its_length()
    {
        var bytes = new byte[200_000];
        new Random(3).NextBytes(bytes);
        await using var server = await FaultServer.StartAsync((ctx, _) => RangeResponder.ServeAsync(ctx, bytes, new ServeOptions { Endless = true }));
        await using var source = await BundleSources.OpenAsync(server.Url(), Options(), null, CancellationToken.None);

        await using var stream = await source.OpenRangeAsync(100_000, 1000, CancellationToken.None);
        var buffer = new byte[64 * 1024];
        int total = 0, n;
        while ((n = await stream.ReadAsync(buffer.AsMemory(total), CancellationToken.None)) > 0)
        {
            total += n;
        }

        Assert.Equal(1000, total);
        Assert.Equal(bytes.AsSpan(100_000, 1000).ToArray(), buffer.AsSpan(0, 1000).ToArray());
    }

    [Fact]
    public async Task A_content_range_other_than_the_one_asked_for_is_refused()
    {
        var (path, _) = await _device.MakeBundleAsync("2.0.0");
        var bytes = await File.ReadAllBytesAsync(path);
        await using var server = await FaultServer.StartAsync(async (ctx, n) =>
        {
            if (n == 1)
            {
                await RangeResponder.ServeAsync(ctx, bytes);
                return;
            }
            // A broken cache: the right length, one byte off.
            var asked = ctx.Request.Headers.Range.ToString()["bytes=".Length..].Split('-').Select(long.Parse).ToArray();
            ctx.Response.StatusCode = 206;
            ctx.Response.Headers.ContentRange = $"bytes {asked[0] - 1}-{asked[1] - 1}/{bytes.Length}";
            ctx.Response.ContentLength = asked[1] - asked[0] + 1;
            await ctx.Response.Body.WriteAsync(bytes.AsMemory((int)asked[0] - 1, (int)(asked[1] - asked[0] + 1)));
        });

        var error = await Assert.ThrowsAsync<UpdaterException>(() => InstallAsync(server.Url(), Options()));

        Assert.Equal(ExitCode.BadInput, error.ExitCode);
        Assert.Contains("refusing bytes the request did not ask for", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_different_bundle_behind_the_same_url_is_detected_by_its_etag()
    {
        var (path1, _) = await _device.MakeBundleAsync("2.0.0", seed: 1);
        var (path2, _) = await _device.MakeBundleAsync("2.0.0", seed: 2);
        var v1 = await File.ReadAllBytesAsync(path1);
        var v2 = await File.ReadAllBytesAsync(path2);
        string before = _device.SlotAHash;
        await using var server = await FaultServer.StartAsync((ctx, n) =>
            n == 1 ? RangeResponder.ServeAsync(ctx, v1) : RangeResponder.ServeAsync(ctx, v2, new ServeOptions { ETag = "\"v2\"" }));

        var error = await Assert.ThrowsAsync<UpdaterException>(() => InstallAsync(server.Url(), Options()));

        Assert.Equal(ExitCode.BadInput, error.ExitCode);
        Assert.Contains("changed during the transfer", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"v2\"", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, _device.SlotAHash);
    }

    [Fact]
    public async Task A_different_bundle_without_validators_is_caught_by_the_hashes()
    {
        var (path1, _) = await _device.MakeBundleAsync("2.0.0", seed: 1);
        var (path2, _) = await _device.MakeBundleAsync("2.0.0", seed: 2);
        var v1 = await File.ReadAllBytesAsync(path1);
        var v2 = await File.ReadAllBytesAsync(path2);
        string before = _device.SlotAHash;
        var plain = new ServeOptions { ETag = null };
        await using var server = await FaultServer.StartAsync((ctx, n) => RangeResponder.ServeAsync(ctx, n == 1 ? v1 : v2, plain));

        var error = await Assert.ThrowsAsync<Updater.Bundles.BundleFormatException>(() => InstallAsync(server.Url(), Options()));

        Assert.Contains("SHA-256", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, _device.SlotAHash);
    }

    [Fact]
    public async Task Giving_up_leaves_one_clear_error_and_a_resumable_install()
    {
        var (path, image) = await _device.MakeBundleAsync("2.0.0");
        var bytes = await File.ReadAllBytesAsync(path);
        string before = _device.SlotAHash;
        bool healthy = false;
        await using var server = await FaultServer.StartAsync((ctx, n) =>
        {
            if (!healthy && n >= 3)
            {
                ctx.Response.StatusCode = 502;
                return Task.CompletedTask;
            }
            // Request 2, the payload request, delivers half the image before the server goes bad.
            return RangeResponder.ServeAsync(ctx, bytes, new ServeOptions { DropAfter = n == 2 ? bytes.Length / 2 : null });
        });
        var time = FakeClock.Create();

        var error = await Assert.ThrowsAsync<UpdaterException>(() => FakeClock.RunAsync(time, InstallAsync(server.Url(), Options(time), time), TimeSpan.FromSeconds(1)));

        Assert.Equal(ExitCode.Io, error.ExitCode);
        Assert.Contains("giving up after 5 attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains("502", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, _device.SlotAHash);
        Assert.NotNull(new Updater.State.StateDirectory(_device.StateDir).ReadJournal());

        healthy = true;
        var result = await InstallAsync(server.Url(), Options());
        Assert.True(result.Resumed);
        Assert.True(result.WrittenBytes < image.Length, $"{result.WrittenBytes} written of {image.Length}: a resume fetches only what is missing");
        Assert.Equal(image, _device.ReadSlotB(image.Length));
    }

    [Fact]
    public async Task The_overall_deadline_ends_the_retries_even_with_attempts_left()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            ctx.Response.StatusCode = 503;
            ctx.Response.Headers.RetryAfter = "20";
            return Task.CompletedTask;
        });
        var time = FakeClock.Create();
        var options = Options(time) with { MaxAttempts = 100, Deadline = TimeSpan.FromSeconds(70) };

        var error = await Assert.ThrowsAsync<UpdaterException>(() => FakeClock.RunAsync(time, BundleSources.OpenAsync(server.Url(), options, null, CancellationToken.None), TimeSpan.FromSeconds(1)));

        Assert.Contains("the 70 s deadline passed", error.Message, StringComparison.Ordinal);
        // Retry-After 20 s within a 70 s deadline: the first attempt and three more, never a fifth.
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public async Task Not_found_fails_at_once_without_retries()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            ctx.Response.StatusCode = 404;
            return Task.CompletedTask;
        });

        var error = await Assert.ThrowsAsync<UpdaterException>(() => BundleSources.OpenAsync(server.Url(), Options(), null, CancellationToken.None));

        Assert.Contains("404", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Credentials_in_the_url_go_to_the_server_but_never_into_messages()
    {
        await using var server = await FaultServer.StartAsync((ctx, n) =>
        {
            ctx.Response.StatusCode = n == 1 ? 503 : 403;
            return Task.CompletedTask;
        });
        string url = server.Url().Replace("http://", "http://fleet:s3cret@", StringComparison.Ordinal) + "?token=abc123";
        var time = FakeClock.Create();
        var retries = new System.Collections.Concurrent.ConcurrentQueue<string>();

        var error = await Assert.ThrowsAsync<UpdaterException>(() =>
            FakeClock.RunAsync(time, BundleSources.OpenAsync(url, Options(time) with { OnRetry = retries.Enqueue }, null, CancellationToken.None), TimeSpan.FromSeconds(1)));

        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        string retry = Assert.Single(retries);
        Assert.StartsWith(server.Url() + "?(redacted): attempt 1 failed", retry, StringComparison.Ordinal);
        foreach (string text in new[] { error.Message, retry })
        {
            Assert.DoesNotContain("s3cret", text, StringComparison.Ordinal);
            Assert.DoesNotContain("abc123", text, StringComparison.Ordinal);
        }
        Assert.All(server.Requests, r => Assert.Equal("Basic " + Convert.ToBase64String("fleet:s3cret"u8.ToArray()), r.Authorization));
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
