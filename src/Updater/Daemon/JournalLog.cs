// SPDX-License-Identifier: Apache-2.0
using Updater.Text;

namespace Updater.Daemon;

/// <summary>
/// Log lines for journald: plain text on stderr with the syslog priority as a <c>&lt;N&gt;</c> prefix, which
/// journald turns into the entry's priority (and which reads fine on a terminal too). No timestamps: the
/// journal adds them. Messages quote servers, channels, bundles and config: each is escaped and bounded by
/// <see cref="SafeText"/>, so it stays one entry at the priority given here and cannot start a line of its own
/// with a forged "&lt;0&gt;" or drive the terminal it is read on.
/// </summary>
internal sealed class JournalLog
{
    private readonly TextWriter _writer;
    private readonly object _gate = new();

    public JournalLog(TextWriter? writer = null)
    {
        _writer = writer ?? Console.Error;
    }

    public void Error(string message) => Write(3, message);

    public void Warning(string message) => Write(4, message);

    public void Info(string message) => Write(6, message);

    public void Debug(string message) => Write(7, message);

    private void Write(int priority, string message)
    {
        lock (_gate)
        {
            // One entry per line: a newline in a message would start an entry whose priority the message chose.
            _writer.WriteLine($"<{priority}>{SafeText.Escape(message)}");
            _writer.Flush();
        }
    }
}
