// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using Mono.Unix.Native;
using Updater.Events;

namespace Updater.Tests.Events;

/// <summary>$JOURNAL_STREAM counts only when it names the very stream this process writes to.</summary>
public sealed class JournalStreamTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("8:")]
    [InlineData(":8")]
    [InlineData("8")]
    [InlineData("-1:5")]
    [InlineData("8:5:1")]
    [InlineData(" 8:5")]
    [InlineData("99999999999999999999999:1")]
    [InlineData("6:2\0")]
    [InlineData("6\0:2")]
    [InlineData("+6:2")]
    public void A_malformed_value_is_no_journal(string? value) => Assert.Null(JournalStream.Parse(value));

    [Fact]
    public void The_device_and_inode_of_an_open_descriptor_match_and_others_do_not()
    {
        string path = Path.GetTempFileName();
        try
        {
            using var file = new FileStream(path, FileMode.Open);
            int fd = (int)file.SafeFileHandle.DangerousGetHandle();
            Assert.Equal(0, Syscall.fstat(fd, out var st));
            string stream = string.Create(CultureInfo.InvariantCulture, $"{st.st_dev}:{st.st_ino}");

            Assert.True(JournalStream.Matches(stream, [fd]));
            Assert.False(JournalStream.Matches(string.Create(CultureInfo.InvariantCulture, $"{st.st_dev}:{st.st_ino + 1}"), [fd]));
            // Inherited, but this process's stderr goes elsewhere: no journal.
            Assert.False(JournalStream.Matches(stream, [2]));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
