// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Updater.Tests.Support;

/// <summary>
/// nginx serving a temp directory on 127.0.0.1 (a free port), started through nginx-fixture/start-nginx.sh
/// and stopped by its pid. The plain static-server path: what a device meets on a CDN or a bare web server.
/// </summary>
internal sealed class NginxServer : IDisposable
{
    private readonly Process _process;
    private readonly TempDirectory _work;

    private NginxServer(Process process, string root, TempDirectory work, int port)
    {
        _process = process;
        _work = work;
        Root = root;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    public string Root { get; }

    /// <summary>nginx's own directory: its configuration, pid file and access log.</summary>
    public string Work => _work.Root;

    public string BaseUrl { get; }

    public string Url(string file) => $"{BaseUrl}/{file}";

    public string AccessLog => File.Exists(Path.Combine(Work, "access.log")) ? File.ReadAllText(Path.Combine(Work, "access.log")) : "";

    /// <summary>
    /// The access log once it holds <paramref name="line"/>, or as it is after 5 s: nginx writes a request's
    /// line after the response has gone out, so a fast client can look before it is there.
    /// </summary>
    public async Task<string> AccessLogWithAsync(string line)
    {
        for (int i = 0; i < 50 && !AccessLog.Contains(line, StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }
        return AccessLog;
    }

    public static async Task<NginxServer> StartAsync(string root)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "nginx-fixture", "start-nginx.sh");
        var work = new TempDirectory("updater-nginx-");
        int port = FreePort();
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { script, root, work.Root, port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start)!;
        var server = new NginxServer(process, root, work, port);
        for (int i = 0; i < 500; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx did not start (exit {process.ExitCode}): {await process.StandardError.ReadToEndAsync()} (CI must install nginx-light)");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException)
            {
                await Task.Delay(10);
            }
        }
        server.Dispose();
        throw new InvalidOperationException("nginx did not listen within 5 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
        _work.Dispose();
    }
}
