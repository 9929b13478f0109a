// SPDX-License-Identifier: Apache-2.0
using System.Net.Sockets;
using System.Text;
using Updater.Daemon;

namespace Updater.Tests.Daemon;

/// <summary>
/// The notify socket sink: systemd reads each datagram as newline-separated assignments, so a newline inside
/// STATUS= would be an assignment of its own ("WATCHDOG=trigger" gets the service killed).
/// </summary>
public sealed class SystemdNotifierTests : IDisposable
{
    private readonly TempDirectory _directory = new("notifier-");
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public SystemdNotifierTests() => _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));

    private string SocketPath => _directory.Path("notify.sock");

    public void Dispose()
    {
        _listener.Dispose();
        _directory.Dispose();
    }

    [Theory]
    [InlineData("last poll failed: signed by unknown key(s) x\nWATCHDOG=trigger\n")]
    [InlineData("x\r\nWATCHDOG=trigger\r\nREADY=1")]
    [InlineData("\u001b[2J\nMAINPID=1\n\u0085ERRNO=5")]
    public void Every_datagram_is_a_fixed_template_whose_status_field_is_one_escaped_line(string status)
    {
        using (var notifier = new SystemdNotifier(SocketPath))
        {
            notifier.Ready(status);
            notifier.Status(status);
            notifier.Stopping(status);
        }

        var datagrams = Receive();
        Assert.Equal(3, datagrams.Count);
        var assignments = datagrams.Select(d => d.Split('\n')).ToList();
        Assert.Equal(["READY", "STATUS"], assignments[0].Select(Key));
        Assert.Equal(["STATUS"], assignments[1].Select(Key));
        Assert.Equal(["STOPPING", "STATUS"], assignments[2].Select(Key));
        foreach (var line in assignments.SelectMany(a => a))
        {
            Assert.DoesNotContain(line, c => c < ' ' || c is >= '\u007f' and <= '\u009f');
        }
    }

    [Fact]
    public void A_status_field_is_bounded()
    {
        using (var notifier = new SystemdNotifier(SocketPath))
        {
            notifier.Status(new string('x', 100_000));
        }

        Assert.InRange(Receive().Single().Length, 1, 512);
    }

    private static string Key(string assignment) => assignment[..Math.Max(0, assignment.IndexOf('=', StringComparison.Ordinal))];

    private List<string> Receive()
    {
        var messages = new List<string>();
        var buffer = new byte[256 * 1024];
        while (_listener.Available > 0)
        {
            int n = _listener.Receive(buffer);
            messages.Add(Encoding.UTF8.GetString(buffer, 0, n));
        }
        return messages;
    }
}
