// SPDX-License-Identifier: Apache-2.0
using System.Net.Sockets;
using System.Text;
using Updater.Events;

namespace Updater.Tests.Events;

/// <summary>NativeJournal on a real Unix datagram socket, read back the way journald reads it.</summary>
public sealed class NativeJournalTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void An_event_arrives_as_one_datagram_with_its_message_id_and_fields()
    {
        string path = _directory.Path("socket");
        using var journald = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        journald.Bind(new UnixDomainSocketEndPoint(path));
        using var journal = new NativeJournal(path);

        journal.Emit(new UpdateEvent(UpdateEventTypes.Rollback, "rolled back from slot B to A")
        {
            Slot = "A", FromSlot = "B", ToSlot = "A", Reason = "health-failed", Error = "app: exit 1\n\u001b[2J",
        });

        var buffer = new byte[64 * 1024];
        journald.ReceiveTimeout = 5000;
        int length = journald.Receive(buffer);
        var fields = Entry(buffer.AsSpan(0, length));
        Assert.Equal(UpdateEventTypes.Rollback.MessageId, fields["MESSAGE_ID"]);
        Assert.Equal("4", fields["PRIORITY"]);
        Assert.Equal("rollback", fields["UPDATER_EVENT"]);
        Assert.Equal(("B", "A", "health-failed"), (fields["UPDATER_FROM_SLOT"], fields["UPDATER_TO_SLOT"], fields["UPDATER_REASON"]));
        // Outside text stays one escaped line, as everything the updater prints.
        Assert.Equal("app: exit 1\\n\\x1b[2J", fields["UPDATER_ERROR"]);
        Assert.False(fields.ContainsKey("UPDATER_VERSION"));
    }

    [Fact]
    public void No_journal_listening_is_said_once_and_never_fails_the_caller()
    {
        var errors = new StringWriter();
        using var journal = new NativeJournal(_directory.Path("nobody"), errors);

        journal.Emit(new UpdateEvent(UpdateEventTypes.InstallStarted, "installing"));
        journal.Emit(new UpdateEvent(UpdateEventTypes.InstallFailed, "failed"));

        Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("cannot send event install-started", errors.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The fields of a native-protocol datagram (both forms of a field), as journald parses them.</summary>
    private static Dictionary<string, string> Entry(ReadOnlySpan<byte> datagram)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!datagram.IsEmpty)
        {
            int end = datagram.IndexOf((byte)'\n');
            var line = datagram[..end];
            int equals = line.IndexOf((byte)'=');
            if (equals >= 0)
            {
                fields.Add(Encoding.ASCII.GetString(line[..equals]), Encoding.UTF8.GetString(line[(equals + 1)..]));
                datagram = datagram[(end + 1)..];
                continue;
            }
            int size = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(datagram.Slice(end + 1, 8));
            fields.Add(Encoding.ASCII.GetString(line), Encoding.UTF8.GetString(datagram.Slice(end + 9, size)));
            datagram = datagram[(end + 9 + size + 1)..];
        }
        return fields;
    }
}
