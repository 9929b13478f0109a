// SPDX-License-Identifier: Apache-2.0
using System.Net.Sockets;

namespace Updater.Events;

/// <summary>
/// Sends events to journald over its native socket, as sd_journal_send(3) does, without libsystemd. A failure
/// (journald restarting, a full socket buffer) is reported once on stderr and otherwise ignored: the update's
/// outcome is in its exit code, its output and the state directory, not in the journal.
/// </summary>
internal sealed class NativeJournal : IUpdateEvents, IDisposable
{
    public const string DefaultSocket = "/run/systemd/journal/socket";

    private readonly UnixDomainSocketEndPoint _endpoint;
    // Made at the first event, inside Emit's guard: a unit without AF_UNIX (RestrictAddressFamilies=) or out of
    // descriptors must still update, only without events.
    private Socket? _socket;
    private readonly TextWriter _errors;
    private bool _warned;

    public NativeJournal(string socketPath = DefaultSocket, TextWriter? errors = null)
    {
        _endpoint = new UnixDomainSocketEndPoint(socketPath);
        _errors = errors ?? Console.Error;
    }

    /// <summary>The journal when the output is connected to it (<see cref="JournalStream"/>), else nothing.</summary>
    public static IUpdateEvents ForThisProcess() => JournalStream.IsConnected() ? new NativeJournal() : NoUpdateEvents.Instance;

    public void Emit(UpdateEvent update)
    {
        byte[] entry = JournalEntry.Format(update.Fields());
        try
        {
            _socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            _socket.SendTo(entry, SocketFlags.None, _endpoint);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or UnauthorizedAccessException)
        {
            if (!_warned)
            {
                _warned = true;
                string why = e is SocketException socket ? socket.SocketErrorCode.ToString() : e.GetType().Name;
                _errors.WriteLine($"updater: journal: cannot send event {update.Type.Name} to {_endpoint}: {why}");
            }
        }
    }

    public void Dispose() => _socket?.Dispose();
}
