// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.UBoot;
using Partition.Storage;
using Partition.Tests.Support;

namespace Partition.Tests.Bootloaders;

/// <summary>
/// The committed anti-rollback floor, updater_security_floor: written in the one atomic environment write of the
/// commit (mark-good, permanent activation), never lowered, a malformed value refused before anything is written;
/// read back with the bootloaders' own tools.
/// </summary>
public sealed class SecurityFloorTests : IDisposable
{
    private const int Size = 0x1000;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Counts the environment writes; each one is the real, durable write.</summary>
    private sealed class CountingWriter : DurableWriter
    {
        public int Writes { get; private set; }

        public override Task ReplaceAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            Writes++;
            return base.ReplaceAsync(path, content, cancellationToken);
        }

        public override Task WriteAtAsync(string path, long offset, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            Writes++;
            return base.WriteAtAsync(path, offset, content, cancellationToken);
        }
    }

    private static IReadOnlyDictionary<string, string> Parse(string listing) =>
        listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    [Fact]
    public async Task Grub_mark_good_writes_the_floor_in_the_same_write_and_grub_editenv_reads_it()
    {
        string file = _dir.Path("grubenv");
        var env = GrubEnvFile.Create(file);
        var writer = new CountingWriter();
        var grub = new GrubBootloader(new GrubOptions(file), writer);
        await grub.ActivateAsync("B", BootActivation.Trial, default);
        Assert.Equal(1, writer.Writes);
        Assert.DoesNotContain(SecurityFloorVariable.Name, env.Listing(), StringComparison.Ordinal);

        await grub.MarkGoodAsync("B", 5, default);

        Assert.Equal(2, writer.Writes);
        var listed = Parse(env.Listing());
        Assert.Equal(("5", "1", "0"), (listed[SecurityFloorVariable.Name], listed["B_OK"], listed["B_TRIAL"]));
        Assert.Equal(5, SecurityFloorVariable.Read((await grub.ReadStateAsync(default)).Variables, file));
        Assert.Equal("5", (await grub.ReadStateAsync(default)).SecurityFloorText);

        // Never lowered: a commit of a lower security version (an allowed downgrade, a manual rollback) keeps 5,
        // and costs no write when nothing else changes.
        await grub.MarkGoodAsync("B", 3, default);
        await grub.ActivateAsync("A", BootActivation.Permanent, 2, default);
        Assert.Equal(3, writer.Writes);
        listed = Parse(env.Listing());
        Assert.Equal(("5", "A B"), (listed[SecurityFloorVariable.Name], listed["ORDER"]));

        await grub.ActivateAsync("A", BootActivation.Permanent, 8, default);
        Assert.Equal("8", Parse(env.Listing())[SecurityFloorVariable.Name]);
        // A change that carries no floor leaves it alone.
        await grub.MarkBadAsync("B", default);
        Assert.Equal("8", Parse(env.Listing())[SecurityFloorVariable.Name]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UBoot_mark_good_writes_the_floor_in_the_same_write_and_fw_printenv_reads_it(bool redundant)
    {
        var options = UBootEnvInteropTests.Provision(_dir, redundant);
        string config = ToolFormats.FwEnvConfig(_dir, options.Device, options.Offset, options.Size, options.RedundantOffset);
        var writer = new CountingWriter();
        var uboot = new UBootBootloader(options, writer);
        await uboot.ActivateAsync("B", BootActivation.Trial, default);
        int before = writer.Writes;

        await uboot.MarkGoodAsync("B", 5, default);

        Assert.Equal(before + 1, writer.Writes);
        var listed = Parse((await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout);
        Assert.Equal(("5", "0"), (listed[SecurityFloorVariable.Name], listed["BOOT_B_TRIAL"]));
        Assert.Equal("5", (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config, "-n", SecurityFloorVariable.Name)).Stdout.Trim());

        await uboot.MarkGoodAsync("B", 1, default);
        await uboot.ActivateAsync("A", BootActivation.Permanent, 4, default);
        listed = Parse((await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout);
        Assert.Equal(("5", "A B"), (listed[SecurityFloorVariable.Name], listed["BOOT_ORDER"]));
    }

    [Fact]
    public async Task What_fw_setenv_writes_as_the_floor_we_read_and_keep()
    {
        var options = UBootEnvInteropTests.Provision(_dir, redundant: true);
        string config = ToolFormats.FwEnvConfig(_dir, options.Device, options.Offset, options.Size, options.RedundantOffset);
        await ProcessRunner.RunCheckedAsync("fw_setenv", "-c", config, SecurityFloorVariable.Name, "12");
        var uboot = new UBootBootloader(options);

        Assert.Equal(12, SecurityFloorVariable.Read((await uboot.ReadStateAsync(default)).Variables, options.Device));
        await uboot.MarkGoodAsync("A", 7, default);
        Assert.Equal("12", (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config, "-n", SecurityFloorVariable.Name)).Stdout.Trim());
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("+5")]
    [InlineData("5x")]
    [InlineData("0x10")]
    [InlineData("1234567890123456789")]
    public async Task A_malformed_floor_is_refused_by_name_and_value_and_nothing_is_written(string value)
    {
        string file = _dir.Path("grubenv");
        var env = GrubEnvFile.Create(file);
        env.Set($"{SecurityFloorVariable.Name}={value}");
        var grub = new GrubBootloader(new GrubOptions(file));
        byte[] before = await File.ReadAllBytesAsync(file);

        var e = await Assert.ThrowsAsync<BootEnvironmentException>(() => grub.MarkGoodAsync("A", 3, default));

        Assert.Contains($"{SecurityFloorVariable.Name} is '{value}'", e.Message, StringComparison.Ordinal);
        Assert.Equal(file, e.Path);
        Assert.Equal(before, await File.ReadAllBytesAsync(file));
        // Reading the state stays possible (status shows it); only the floor itself is refused.
        var state = await grub.ReadStateAsync(default);
        Assert.Equal(value, state.SecurityFloorText);
        Assert.Throws<BootEnvironmentException>(() => SecurityFloorVariable.Read(state.Variables, file));
    }

    [Fact]
    public void Parsing_accepts_decimal_digits_only()
    {
        Assert.True(SecurityFloorVariable.TryParse("0", out long zero) && zero == 0);
        Assert.True(SecurityFloorVariable.TryParse("999999999999999999", out long max) && max == 999_999_999_999_999_999);
        foreach (string bad in new[] { "", " 1", "1 ", "-0", "١", "1e3" })
        {
            Assert.False(SecurityFloorVariable.TryParse(bad, out _), bad);
        }
        Assert.Null(SecurityFloorVariable.Read(new Dictionary<string, string>(), "env"));
    }
}
