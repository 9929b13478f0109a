// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Parsing;

namespace HealthCheck.Tests.Parsing;

public sealed class IniDocumentTests
{
    private const string File = "/etc/x.conf";

    [Fact]
    public void Splits_sections_and_entries_with_their_lines()
    {
        var doc = IniDocument.Parse("\uFEFF# c\r\n[a]\r\nk = v # not a comment\r\n; c\n[b.c-d@e:f]\n  x=\t1 \n", File);

        Assert.Collection(doc.Sections,
            a =>
            {
                Assert.Equal(("a", 2), (a.Name, a.Line));
                Assert.Equal(new IniEntry("k", "v # not a comment", File, 3), Assert.Single(a.Entries));
            },
            b => Assert.Equal(new IniEntry("x", "1", File, 6), Assert.Single(b.Entries)));
    }

    [Fact]
    public void A_10_KiB_line_is_quoted_cut_short_with_a_note()
    {
        string line = new('x', 10 * 1024);
        var error = Assert.Throws<IniFormatException>(() => IniDocument.Parse($"[a]\n{line}\n", File));

        Assert.Equal(2, error.Line);
        Assert.True(error.Message.Length < 300, error.Message);
        Assert.Contains("(10240 characters, cut)", error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{File}:2: expected 'key = value', found 'xxxx", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[a]\nk = \x1b[2J\x1b]0;pwned\a\n", "control character \\x1b in line 'k = \\x1b[2J\\x1b]0;pwned\\x07'")]
    [InlineData("[a]\nk = v\0w\n", "control character \\0 in line 'k = v\\0w'")]
    [InlineData("[a]\nk = v\rw\n", "control character \\r in line 'k = v\\rw'")]
    [InlineData("[a]\nk = v\u009bw\n", "control character \\x9b in line")]
    public void Control_characters_are_refused_and_shown_escaped(string text, string problem)
    {
        var error = Assert.Throws<IniFormatException>(() => IniDocument.Parse(text, File));

        Assert.Equal(2, error.Line);
        Assert.StartsWith(problem, error.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain(error.Message, c => char.IsControl(c));
    }

    [Fact]
    public void A_long_key_or_section_name_is_not_quoted_whole()
    {
        string name = new('k', 10 * 1024);
        var key = Assert.Throws<IniFormatException>(() => IniDocument.Parse($"[a]\n{name} = 1\n", File));
        var section = Assert.Throws<IniFormatException>(() => IniDocument.Parse($"[{name}]\n", File));

        Assert.Contains("malformed key", key.Problem, StringComparison.Ordinal);
        Assert.Contains("malformed section name", section.Problem, StringComparison.Ordinal);
        Assert.All(new[] { key, section }, e => Assert.True(e.Message.Length < 300, e.Message));
    }

    [Fact]
    public void Excerpts_escape_formatting_characters_and_backslashes()
    {
        Assert.Equal("a\\u202eb\\\\c\\t", IniExcerpt.Of("a\u202eb\\c\t"));
    }

    [Fact]
    public void A_file_over_the_limit_is_refused_before_it_is_read()
    {
        string path = Path.GetTempFileName();
        try
        {
            System.IO.File.WriteAllText(path, new string('#', IniDocument.MaxBytes + 1));
            var error = Assert.Throws<IniFormatException>(() => IniDocument.Load(path));
            Assert.Equal(0, error.Line);
            Assert.StartsWith($"{path}: {IniDocument.MaxBytes + 1} bytes is larger than", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }
}
