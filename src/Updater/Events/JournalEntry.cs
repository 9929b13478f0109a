// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Text;

namespace Updater.Events;

/// <summary>
/// One entry in systemd's native journal protocol (systemd.journal-fields(7), "Native Journal Protocol"): a
/// datagram of fields, each <c>NAME=value\n</c>, or, for a value holding a newline, <c>NAME\n</c>, its length as a
/// 64-bit little-endian integer, the value, and <c>\n</c>. Values are bytes, so nothing needs escaping; they are
/// bounded so that a long error (a server's body) cannot push the datagram past the socket's limit.
/// </summary>
internal static class JournalEntry
{
    /// <summary>The longest value sent; longer ones are cut and end in "...".</summary>
    public const int MaxValueBytes = 8 * 1024;

    public static byte[] Format(IEnumerable<KeyValuePair<string, string>> fields)
    {
        using var entry = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        foreach (var (name, value) in fields)
        {
            RequireName(name);
            byte[] bytes = Bounded(value);
            entry.Write(Encoding.ASCII.GetBytes(name));
            if (Array.IndexOf(bytes, (byte)'\n') < 0)
            {
                entry.WriteByte((byte)'=');
                entry.Write(bytes);
            }
            else
            {
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)bytes.Length);
                entry.WriteByte((byte)'\n');
                entry.Write(length);
                entry.Write(bytes);
            }
            entry.WriteByte((byte)'\n');
        }
        return entry.ToArray();
    }

    /// <summary>
    /// journald's rule for field names: upper-case letters, digits and '_', not starting with '_' (those are trusted
    /// fields only journald sets) or a digit, at most 64 characters. Names here are constants: a bad one is a bug.
    /// </summary>
    private static void RequireName(string name)
    {
        if (name.Length is 0 or > 64 || name[0] == '_' || char.IsAsciiDigit(name[0])
            || !name.All(c => c is >= 'A' and <= 'Z' or >= '0' and <= '9' or '_'))
        {
            throw new ArgumentException($"'{name}' is not a journal field name", nameof(name));
        }
    }

    private static byte[] Bounded(string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        if (bytes.Length <= MaxValueBytes)
        {
            return bytes;
        }
        // Cut on a character boundary: a UTF-8 continuation byte is 10xxxxxx.
        int cut = MaxValueBytes - 3;
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80)
        {
            cut--;
        }
        return [.. bytes.AsSpan(0, cut), .. "..."u8];
    }
}
