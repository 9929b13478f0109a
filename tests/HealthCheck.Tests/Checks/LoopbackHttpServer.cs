// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Net.Sockets;

namespace HealthCheck.Tests.Checks;

/// <summary>
/// A real HTTP server on 127.0.0.1 (HttpListener) with a few fixed endpoints: /ok (200), /no-content (204),
/// /unavailable (503), /moved (302 to /ok) and /hang (never answers while the server runs).
/// </summary>
internal sealed class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public LoopbackHttpServer()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _serving = ServeAsync();
    }

    public int Port { get; }

    /// <summary>How many requests reached the server.</summary>
    public int Requests => Volatile.Read(ref _requests);

    private int _requests;

    /// <summary>Waits (real time, briefly) until that many requests have arrived.</summary>
    public async Task WaitForRequestsAsync(int count)
    {
        for (var i = 0; i < 400 && Requests < count; i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(count, Requests);
    }

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    /// <summary>A loopback port with nothing listening on it.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener was closed under a pending GetContextAsync: the normal way out.
        }

        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _requests);
            _ = AnswerAsync(context);
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        switch (context.Request.Url?.AbsolutePath)
        {
            case "/ok":
                response.StatusCode = 200;
                break;
            case "/no-content":
                response.StatusCode = 204;
                break;
            case "/unavailable":
                response.StatusCode = 503;
                break;
            case "/moved":
                response.StatusCode = 302;
                response.RedirectLocation = Url("/ok");
                break;
            case "/hang":
                try
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }

                break;
            default:
                response.StatusCode = 404;
                break;
        }

        try
        {
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // The client gave up first (a deadline in a test): nothing to answer.
        }
    }
}
