// SPDX-License-Identifier: Apache-2.0
using System.Net.Sockets;
using System.Text;
using Updater.Text;

namespace Updater.Daemon;

/// <summary>
/// sd_notify(3) without libsystemd: one datagram per state change to the socket in $NOTIFY_SOCKET (a path,
/// or an abstract name starting with '@'). Without that variable (not run by systemd) it does nothing.
/// A failure to notify is not an error of the update: it is swallowed, the watchdog will say the rest.
/// <para>
/// Only fixed assignments are sent (READY, STATUS, WATCHDOG, STOPPING), and the one free field, STATUS=, is
/// escaped and bounded by <see cref="SafeText"/>: a newline in it would end the assignment and let the rest of
/// the text (a channel's unsigned key id, say) send "WATCHDOG=trigger" and get the agent killed.
/// </para>
/// </summary>
internal sealed class SystemdNotifier : IDisposable
{
    private readonly UnixDomainSocketEndPoint? _endpoint;
    private readonly Socket? _socket;

    public SystemdNotifier(string? notifySocket)
    {
        if (string.IsNullOrEmpty(notifySocket) || (notifySocket[0] != '/' && notifySocket[0] != '@'))
        {
            return;
        }
        // An abstract socket's name starts with a NUL byte where systemd writes '@'.
        _endpoint = new UnixDomainSocketEndPoint(notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    public static SystemdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    public bool Enabled => _socket is not null;

    /// <summary>The interval at which systemd expects WATCHDOG=1 ($WATCHDOG_USEC, for this process), or null.</summary>
    public static TimeSpan? WatchdogInterval()
    {
        string? pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (pid is not null && pid != Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return null;
        }
        return long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out long usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec)
            : null;
    }

    public void Ready(string status) => Send($"READY=1\nSTATUS={Field(status)}");

    public void Status(string status) => Send($"STATUS={Field(status)}");

    public void Watchdog() => Send("WATCHDOG=1");

    public void Stopping(string status) => Send($"STOPPING=1\nSTATUS={Field(status)}");

    /// <summary>A STATUS= value: one line, no control characters, bounded.</summary>
    internal static string Field(string status) => SafeText.Escape(status, SafeText.MaxStatus);

    // Private: every datagram is one of the templates above, so no caller can put unescaped text on the socket.
    private void Send(string state)
    {
        if (_socket is null)
        {
            return;
        }
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), SocketFlags.None, _endpoint!);
        }
        catch (SocketException)
        {
        }
    }

    public void Dispose() => _socket?.Dispose();
}
