// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Updater.Tests.Support;

/// <summary>One request as the server saw it.</summary>
internal sealed record SeenRequest(int Number, string Method, string Path, string? Range, string? IfRange, string? IfNoneMatch, string? Authorization)
{
    /// <summary>Every request header, names lower-cased, values joined as the server saw them.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Kestrel on 127.0.0.1 (a free port) inside the test process. Each test gives the handler; it sees the
/// request's number so it can fail the first N, drop a connection part way, lie, or switch content.
/// </summary>
internal sealed class FaultServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _count;

    private FaultServer(WebApplication app, string address)
    {
        _app = app;
        BaseUrl = address;
    }

    public string BaseUrl { get; }

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public string Url(string path = "/bundle") => BaseUrl + path;

    /// <summary>
    /// Root files a device looks for beside its channel (N.root.json in any directory): served from here, 404 when
    /// absent, as a static server would. They bypass the test's handler and its request numbering, so a test about
    /// the channel or the bundle sees only its own requests.
    /// </summary>
    public ConcurrentDictionary<long, byte[]> Roots { get; } = new();

    /// <summary>The root files asked for, in order (their paths).</summary>
    public ConcurrentQueue<string> RootRequests { get; } = new();

    /// <param name="https">HTTPS instead of HTTP (e.g. <see cref="TestPki.Https"/>: a certificate, client certificates required).</param>
    public static async Task<FaultServer> StartAsync(Func<HttpContext, int, Task> handler, HttpsConnectionAdapterOptions? https = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (https is not null)
            {
                listen.UseHttps(https);
            }
        }));
        var app = builder.Build();
        FaultServer? server = null;
        app.Run(async context =>
        {
            if (RootVersion(context.Request.Path) is { } version)
            {
                server!.RootRequests.Enqueue(context.Request.Path!);
                if (server.Roots.TryGetValue(version, out var root))
                {
                    await context.Response.Body.WriteAsync(root);
                }
                else
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                }
                return;
            }
            int n = Interlocked.Increment(ref server!._count);
            var h = context.Request.Headers;
            server.Requests.Enqueue(new SeenRequest(n, context.Request.Method, context.Request.Path, h.Range.ToString() is { Length: > 0 } r ? r : null,
                h.IfRange.ToString() is { Length: > 0 } ir ? ir : null, h.IfNoneMatch.ToString() is { Length: > 0 } inm ? inm : null,
                h.Authorization.ToString() is { Length: > 0 } a ? a : null)
            {
                Headers = h.ToDictionary(kv => kv.Key.ToLowerInvariant(), kv => kv.Value.ToString()),
            });
            await handler(context, n);
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new FaultServer(app, address);
        return server;
    }

    private static long? RootVersion(PathString path)
    {
        string name = Path.GetFileName(path.Value ?? "");
        return name.EndsWith(".root.json", StringComparison.Ordinal) && long.TryParse(name[..^".root.json".Length], NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>How <see cref="RangeResponder"/> misbehaves, if at all.</summary>
internal sealed record ServeOptions
{
    public string? ETag { get; init; } = "\"v1\"";
    public DateTimeOffset? LastModified { get; init; }
    public bool IgnoreRange { get; init; }

    /// <summary>Abort the connection after this many body bytes (the declared length stays the full one).</summary>
    public long? DropAfter { get; init; }

    /// <summary>Send this many body bytes, then send nothing more until the client gives up.</summary>
    public long? StallAfter { get; init; }

    /// <summary>Added to the true Content-Length in the header only.</summary>
    public long ContentLengthLie { get; init; }

    /// <summary>Send this many body bytes at full speed, then one byte per <see cref="TrickleEvery"/> (a slow-retrieval attack).</summary>
    public long? TrickleAfter { get; init; }

    public TimeSpan TrickleEvery { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>No Content-Length; after the range, keep sending bytes until the client hangs up.</summary>
    public bool Endless { get; init; }
}

/// <summary>Serves a byte array the way a static file server does: single Range, If-Range, ETag, Last-Modified.</summary>
internal static class RangeResponder
{
    public static async Task ServeAsync(HttpContext context, byte[] content, ServeOptions? options = null)
    {
        options ??= new ServeOptions();
        var response = context.Response;
        if (options.ETag is not null)
        {
            response.Headers.ETag = options.ETag;
        }
        if (options.LastModified is { } lm)
        {
            response.Headers.LastModified = lm.ToString("R", CultureInfo.InvariantCulture);
        }
        response.ContentType = "application/octet-stream";
        long from = 0, to = content.Length - 1;
        string range = context.Request.Headers.Range.ToString();
        string ifRange = context.Request.Headers.IfRange.ToString();
        bool rangeApplies = range.StartsWith("bytes=", StringComparison.Ordinal) && !options.IgnoreRange
            && (ifRange.Length == 0 || ifRange == options.ETag || (options.LastModified is { } d && ifRange == d.ToString("R", CultureInfo.InvariantCulture)));
        if (rangeApplies)
        {
            string[] parts = range["bytes=".Length..].Split('-');
            from = long.Parse(parts[0], CultureInfo.InvariantCulture);
            to = parts[1].Length == 0 ? content.Length - 1 : Math.Min(long.Parse(parts[1], CultureInfo.InvariantCulture), content.Length - 1);
            if (from >= content.Length)
            {
                response.StatusCode = 416;
                response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {from}-{to}/{content.Length}";
        }
        else
        {
            response.StatusCode = 200;
        }
        long length = to - from + 1;
        if (!options.Endless)
        {
            response.ContentLength = length + options.ContentLengthLie;
        }
        if (context.Request.Method == "HEAD")
        {
            return;
        }
        long limit = options.DropAfter ?? options.StallAfter ?? options.TrickleAfter ?? length;
        var body = response.Body;
        long sent = 0;
        while (sent < Math.Min(limit, length))
        {
            int n = (int)Math.Min(16 * 1024, Math.Min(limit, length) - sent);
            await body.WriteAsync(content.AsMemory((int)(from + sent), n), context.RequestAborted);
            sent += n;
        }
        await body.FlushAsync(context.RequestAborted);
        if (options.DropAfter is not null && sent < length)
        {
            context.Abort();
            return;
        }
        if (options.TrickleAfter is not null)
        {
            try
            {
                for (; sent < length; sent++)
                {
                    await Task.Delay(options.TrickleEvery, context.RequestAborted);
                    await body.WriteAsync(content.AsMemory((int)(from + sent), 1), context.RequestAborted);
                    await body.FlushAsync(context.RequestAborted);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
            return;
        }
        if (options.StallAfter is not null && sent < length)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
            return;
        }
        if (options.Endless)
        {
            var junk = new byte[16 * 1024];
            try
            {
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    await body.WriteAsync(junk, context.RequestAborted);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
        }
    }
}
