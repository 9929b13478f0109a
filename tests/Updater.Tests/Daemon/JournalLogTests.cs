// SPDX-License-Identifier: Apache-2.0
using Updater.Daemon;

namespace Updater.Tests.Daemon;

/// <summary>
/// The journal sink: stderr read by journald with SyslogLevelPrefix=yes. Whatever a message holds, it is one line
/// with the priority the code chose, no byte that a terminal obeys, and no longer than the bound.
/// </summary>
public sealed class JournalLogTests
{
    [Theory]
    [InlineData("key\n<0>forged")]
    [InlineData("key\r\n<0>forged")]
    [InlineData("key\r<0>forged \u001b[31mred\u001b[0m")]
    [InlineData("csi \u009b2J del \u007f nel \u0085<0>forged")]
    public void A_message_stays_one_entry_of_its_own_priority_with_no_control_bytes(string message)
    {
        var output = new StringWriter();
        new JournalLog(output).Warning($"channel unreachable ({message})");

        string text = output.ToString();
        Assert.EndsWith(Environment.NewLine, text, StringComparison.Ordinal);
        string line = text[..^Environment.NewLine.Length];
        Assert.StartsWith("<4>channel unreachable (", line, StringComparison.Ordinal);
        Assert.DoesNotContain(line, c => c < ' ' || c is >= '\u007f' and <= '\u009f');
    }

    [Fact]
    public void A_message_longer_than_the_bound_is_cut_so_journald_never_splits_it()
    {
        // journald splits a line at LineMax (48 KiB); the rest would be a new entry whose first bytes the input chose.
        var output = new StringWriter();
        new JournalLog(output).Error(new string('x', 60_000) + "<0>forged");

        string line = output.ToString().TrimEnd();
        Assert.True(line.Length <= 8192, $"{line.Length} characters");
        Assert.DoesNotContain("<0>", line, StringComparison.Ordinal);
    }
}
