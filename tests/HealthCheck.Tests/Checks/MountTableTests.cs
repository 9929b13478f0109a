// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Checks;

namespace HealthCheck.Tests.Checks;

public sealed class MountTableTests
{
    [Fact]
    public void Mount_points_and_types_come_from_fields_5_and_after_the_separator()
    {
        var table = MountTable.Parse(
            """
            22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw
            36 22 98:0 /mnt1 /mnt/parent rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue
            40 22 0:35 / /media/my\040disk\011x rw - vfat /dev/sdb1 rw
            41 22 0:36 / /no/optional/fields rw - tmpfs tmpfs rw
            """);

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["/"] = "ext4",
                ["/mnt/parent"] = "ext3",
                ["/media/my disk\tx"] = "vfat",
                ["/no/optional/fields"] = "tmpfs",
            },
            table);
    }

    [Theory]
    [InlineData(@"/a\134b", @"/a\b")]
    [InlineData(@"/a\012b", "/a\nb")]
    [InlineData(@"/trailing\040", "/trailing ")]
    [InlineData(@"/not\08escape", @"/not\08escape")]
    [InlineData(@"/short\04", @"/short\04")]
    public void Octal_escapes_are_decoded(string field, string expected)
    {
        Assert.Equal(expected, MountTable.Unescape(field));
    }
}
