// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using TestSupport;

namespace Updater.Tests.DBus;

/// <summary>
/// A real dbus-daemon of the test's own on a socket in a temporary directory, with a policy that lets anyone
/// own and call anything: the test is about the service's answers, the system bus's policy has its own test
/// (System.Tests, in the systemd container).
/// </summary>
internal sealed class PrivateBus : IDisposable
{
    private readonly TempDirectory _directory = new("dbus-");
    private readonly Process _daemon;

    public PrivateBus()
    {
        string socket = _directory.Path("bus");
        File.WriteAllText(_directory.Path("bus.conf"), $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>test</type>
              <listen>unix:path={socket}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow user="*"/>
                <allow own="*"/>
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
              </policy>
            </busconfig>
            """);
        var start = ProcessRunner.StartInfo("dbus-daemon", "--nofork", "--nopidfile", $"--config-file={_directory.Path("bus.conf")}");
        start.RedirectStandardError = true;
        _daemon = Process.Start(start) ?? throw new InvalidOperationException("dbus-daemon did not start");
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(socket))
        {
            if (_daemon.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new InvalidOperationException($"dbus-daemon did not listen on {socket}: {_daemon.StandardError.ReadToEnd()}");
            }
            Thread.Sleep(20);
        }
        Address = $"unix:path={socket}";
    }

    public string Address { get; }

    /// <summary>`busctl --address=... --json=short ARGS`: the real client.</summary>
    public Task<ProcessResult> BusctlAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("busctl", [$"--address={Address}", "--json=short", .. arguments]);

    public void Dispose()
    {
        try
        {
            _daemon.Kill();
            _daemon.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _daemon.Dispose();
        _directory.Dispose();
    }
}
