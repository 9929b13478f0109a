// SPDX-License-Identifier: Apache-2.0
using Updater.Text;

namespace Updater.Tests.Text;

/// <summary>The one escaping function every sink uses: what it escapes, what it keeps, how it bounds.</summary>
public sealed class SafeTextTests
{
    [Theory]
    [InlineData("key\nWATCHDOG=trigger\n", "key\\nWATCHDOG=trigger\\n")]
    [InlineData("a\r<0>forged", "a\\r<0>forged")]
    [InlineData("\u001b[2J\u001b]0;title\u0007", "\\x1b[2J\\x1b]0;title\\x07")]
    [InlineData("tab\there", "tab\\there")]
    [InlineData("del\u007f c1 \u0085 csi \u009b31m", "del\\x7f c1 \\x85 csi \\x9b31m")]
    [InlineData("nul\0", "nul\\x00")]
    [InlineData("ls\u2028ps\u2029rlo\u202egnp.exe", "ls\\u2028ps\\u2029rlo\\u202egnp.exe")]
    public void Control_characters_become_visible_escapes(string input, string expected) =>
        Assert.Equal(expected, SafeText.Escape(input));

    [Fact]
    public void A_lone_surrogate_is_escaped_a_pair_is_kept() =>
        Assert.Equal("lone \\ud800 surrogate, pair \ud83d\ude00", SafeText.Escape("lone \ud800 surrogate, pair \ud83d\ude00"));

    [Theory]
    [InlineData("plain text, a path /var/lib/updater and a \\ backslash")]
    [InlineData("größe 3 MiB, 版本 2.0 😀")]
    public void Printable_text_passes_unchanged(string input) => Assert.Same(input, SafeText.Escape(input));

    [Fact]
    public void Long_text_is_cut_at_the_bound_never_inside_an_escape_or_a_pair()
    {
        Assert.Equal(SafeText.MaxLine, SafeText.Escape(new string('x', 100_000)).Length);
        Assert.EndsWith("...", SafeText.Escape(new string('x', 100_000)), StringComparison.Ordinal);

        for (int bound = 16; bound < 40; bound++)
        {
            string escaped = SafeText.Escape(string.Concat(Enumerable.Repeat("ab\n😀", 20)), bound);
            Assert.True(escaped.Length <= bound, $"{bound}: {escaped}");
            Assert.EndsWith("...", escaped, StringComparison.Ordinal);
            string body = escaped[..^3];
            Assert.False(body.EndsWith('\\'), escaped);
            Assert.False(char.IsHighSurrogate(body[^1]), escaped);
        }
        Assert.Equal("exactly", SafeText.Escape("exactly", 11));
    }
}
