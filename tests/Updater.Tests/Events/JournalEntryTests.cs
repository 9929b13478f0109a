// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Text;
using Updater.Events;

namespace Updater.Tests.Events;

/// <summary>The native journal protocol's datagram, byte by byte.</summary>
public sealed class JournalEntryTests
{
    [Fact]
    public void Fields_are_name_equals_value_lines()
    {
        byte[] entry = JournalEntry.Format([new("MESSAGE", "installed 2.0.0"), new("UPDATER_SLOT", "B")]);

        Assert.Equal("MESSAGE=installed 2.0.0\nUPDATER_SLOT=B\n", Encoding.UTF8.GetString(entry));
    }

    [Fact]
    public void A_value_with_a_newline_is_sent_with_its_length_so_it_cannot_start_a_field()
    {
        byte[] entry = JournalEntry.Format([new("UPDATER_ERROR", "first\nPRIORITY=0")]);

        byte[] value = "first\nPRIORITY=0"u8.ToArray();
        byte[] expected = [.. "UPDATER_ERROR\n"u8, .. LittleEndian(value.Length), .. value, (byte)'\n'];
        Assert.Equal(expected, entry);
    }

    [Fact]
    public void A_long_value_is_cut_on_a_character_boundary()
    {
        string value = new string('x', JournalEntry.MaxValueBytes - 4) + "ééé";

        string entry = Encoding.UTF8.GetString(JournalEntry.Format([new("MESSAGE", value)]));

        Assert.True(Encoding.UTF8.GetByteCount(entry) <= "MESSAGE=\n".Length + JournalEntry.MaxValueBytes);
        Assert.EndsWith("...\n", entry, StringComparison.Ordinal);
        Assert.DoesNotContain('\uFFFD', entry);
    }

    [Theory]
    [InlineData("_PID")]
    [InlineData("message")]
    [InlineData("1ST")]
    [InlineData("")]
    [InlineData("A=B")]
    public void A_name_journald_would_refuse_is_a_bug_caught_here(string name) =>
        Assert.Throws<ArgumentException>(() => JournalEntry.Format([new(name, "x")]));

    private static byte[] LittleEndian(long length)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)length);
        return bytes;
    }
}
