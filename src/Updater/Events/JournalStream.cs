// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using Mono.Unix.Native;

namespace Updater.Events;

/// <summary>
/// Whether this process's output goes to the journal: systemd sets $JOURNAL_STREAM to "DEVICE:INODE" of the
/// stream it connects stdout/stderr to, and a program compares it with its own stderr or stdout (systemd.exec(5)),
/// so a variable inherited by a child whose output was redirected elsewhere does not count.
/// </summary>
internal static class JournalStream
{
    private static readonly System.Buffers.SearchValues<char> Digits = System.Buffers.SearchValues.Create("0123456789");

    public static bool IsConnected() => Matches(Environment.GetEnvironmentVariable("JOURNAL_STREAM"), [2, 1]);

    internal static bool Matches(string? journalStream, IReadOnlyList<int> descriptors)
    {
        if (Parse(journalStream) is not { } stream)
        {
            return false;
        }
        foreach (int fd in descriptors)
        {
            if (Syscall.fstat(fd, out var st) == 0 && st.st_dev == stream.Device && st.st_ino == stream.Inode)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>"DEVICE:INODE", both decimal; anything else is no journal.</summary>
    internal static (ulong Device, ulong Inode)? Parse(string? journalStream)
    {
        if (string.IsNullOrEmpty(journalStream) || journalStream.Length > 64)
        {
            return null;
        }
        int colon = journalStream.IndexOf(':', StringComparison.Ordinal);
        // Digits only, checked here: ulong.TryParse ignores trailing NUL characters (found by tests/fuzz).
        if (colon < 1
            || journalStream.AsSpan(0, colon).ContainsAnyExcept(Digits)
            || journalStream.AsSpan(colon + 1).ContainsAnyExcept(Digits)
            || !ulong.TryParse(journalStream.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out ulong device)
            || !ulong.TryParse(journalStream.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
        {
            return null;
        }
        return (device, inode);
    }
}
