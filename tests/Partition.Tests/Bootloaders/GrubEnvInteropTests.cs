// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;
using Partition.Bootloaders.Grub;
using Partition.Storage;
using Partition.Tests.Support;

namespace Partition.Tests.Bootloaders;

/// <summary>grubenv as the real grub-editenv reads and writes it.</summary>
public sealed class GrubEnvInteropTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Values that exercise escaping (backslash, newline) and characters that must pass through untouched.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> Awkward =
    [
        new("ORDER", "B A"),
        new("spaces", "  two  words  "),
        new("backslash", @"C:\path\to\"),
        new("newline", "line one\nline two\n"),
        new("quotes", "say \"hi\" and 'bye'"),
        new("shell", "$x ${y}; `z` | & > <"),
        new("equals", "a=b=c"),
        new("hash", "#not a comment"),
        new("tab", "a\tb"),
        new("utf8", "grüße, 東京"),
        new("empty", ""),
    ];

    [Fact]
    public async Task What_we_write_grub_editenv_lists_exactly()
    {
        var block = GrubEnvBlock.CreateEmpty();
        foreach (var (name, value) in Awkward)
        {
            block.Set(name, value);
        }

        string file = _dir.Path("grubenv");
        await File.WriteAllBytesAsync(file, block.Encode(file));

        Assert.Equal(ToolFormats.Listing(Awkward), new GrubEnvFile(file).Listing());
    }

    [Fact]
    public async Task What_grub_editenv_writes_we_read_exactly()
    {
        string file = _dir.Path("grubenv");
        GrubEnvFile.Create(file).Set([.. Awkward.Select(v => $"{v.Key}={v.Value}")]);

        var block = GrubEnvBlock.Parse(await File.ReadAllBytesAsync(file), file);

        Assert.Equal(Awkward.Select(v => v.Key), block.Names);
        Assert.Equal(Awkward.ToDictionary(v => v.Key, v => v.Value), block.Variables);
    }

    [Fact]
    public async Task The_same_changes_give_the_same_bytes_as_grub_editenv()
    {
        string theirs = _dir.Path("theirs");
        var tool = GrubEnvFile.Create(theirs);
        var ours = GrubEnvBlock.Parse(await File.ReadAllBytesAsync(theirs), theirs);

        // Appends, in-place growth and shrinkage, escapes, deletion in the middle.
        (string Name, string? Value)[] steps =
        [
            ("ORDER", "A B"), ("A_OK", "1"), ("A_TRY", "0"), ("B_OK", "0"), ("note", "x\\y\nz"),
            ("ORDER", "B A"), ("A_OK", "0"), ("note", "a much longer value than before"), ("B_OK", null),
            ("note", "s"), ("B_OK", "1"), ("A_TRY", null), ("A_TRY", "1"),
        ];
        foreach (var (name, value) in steps)
        {
            if (value is null)
            {
                await ProcessRunner.RunCheckedAsync("grub-editenv", theirs, "unset", name);
                ours.Delete(name);
            }
            else
            {
                tool.Set($"{name}={value}");
                ours.Set(name, value);
            }

            Assert.Equal(await File.ReadAllBytesAsync(theirs), ours.Encode(theirs));
        }
    }

    [Fact]
    public async Task A_change_that_would_overflow_the_block_is_refused_and_the_file_stays_unchanged()
    {
        string file = _dir.Path("grubenv");
        // Fill the block nearly to the end with a variable of the operator's, so our variables no longer fit.
        GrubEnvFile.Create(file).Set("big=" + new string('x', 900));
        byte[] before = await File.ReadAllBytesAsync(file);

        var grub = new GrubBootloader(new GrubOptions(file));
        var error = await Assert.ThrowsAsync<BootEnvironmentException>(() => grub.ActivateAsync("B", BootActivation.Trial, CancellationToken.None));

        Assert.Equal(file, error.Path);
        Assert.Contains("1024", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(file));
        Assert.False(File.Exists(AtomicFile.TemporaryPathFor(file)));
        // grub-editenv agrees that it does not fit.
        Assert.NotEqual(0, (await ProcessRunner.RunAsync("grub-editenv", file, "set", "ORDER=B A", "A_OK=1", "A_TRY=0", "A_TRIAL=0", "B_OK=1", "B_TRY=0", "B_TRIAL=1")).ExitCode);
    }

    [Fact]
    public void A_value_that_would_overflow_the_block_is_an_error_naming_the_file()
    {
        var block = GrubEnvBlock.CreateEmpty();
        block.Set("v", new string('y', 1000));

        var error = Assert.Throws<BootEnvironmentException>(() => block.Encode("/x/grubenv"));

        Assert.StartsWith("/x/grubenv: the variables need 1", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Block(ReadOnlySpan<byte> content, byte fill = (byte)'#')
    {
        var block = new byte[GrubEnvBlock.Size];
        block.AsSpan().Fill(fill);
        content.CopyTo(block);
        return block;
    }

    public static TheoryData<string, byte[], long?> Malformed => new()
    {
        { "short", "# GRUB Environment Block\nA=1\n###"u8.ToArray(), null },
        { "signature", Block("# GRUB Environment Blob\nA=1\n"u8), 0 },
        { "no equals", Block("# GRUB Environment Block\nA=1\nnoequals\n"u8), 29 },
        { "empty name", Block("# GRUB Environment Block\n=v\n"u8), 25 },
        { "twice", Block("# GRUB Environment Block\nA=1\nA=2\n"u8), 29 },
        { "no padding", Block("# GRUB Environment Block\nA=1\nB=2"u8, (byte)'x'), 1023 },
        { "unterminated", Block("# GRUB Environment Block\nA=1\nB=2\\\n"u8), 29 },
        { "nul", Block("# GRUB Environment Block\nA=1\0\n"u8), 28 },
        { "bad utf8", Block([.. "# GRUB Environment Block\nA="u8, 0xff, (byte)'\n']), 27 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_block_is_one_error_naming_file_and_offset_and_nothing_is_written(string what, byte[] bytes, long? offset)
    {
        Assert.NotNull(what);
        string file = _dir.Path("grubenv");
        await File.WriteAllBytesAsync(file, bytes);
        var grub = new GrubBootloader(new GrubOptions(file));

        var read = await Assert.ThrowsAsync<BootEnvironmentException>(() => grub.ReadStateAsync(CancellationToken.None));
        var write = await Assert.ThrowsAsync<BootEnvironmentException>(() => grub.MarkGoodAsync("A", CancellationToken.None));

        Assert.Equal(offset, read.Offset);
        Assert.StartsWith(file + ":", read.Message, StringComparison.Ordinal);
        Assert.Equal(read.Message, write.Message);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(file));
    }

    [Fact]
    public async Task A_missing_grubenv_is_an_error_that_says_how_to_create_it()
    {
        var grub = new GrubBootloader(new GrubOptions(_dir.Path("grubenv")));

        var error = await Assert.ThrowsAsync<BootEnvironmentException>(() => grub.ReadStateAsync(CancellationToken.None));

        Assert.Contains("grub-editenv FILE create", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.Path("grubenv")));
    }
}
