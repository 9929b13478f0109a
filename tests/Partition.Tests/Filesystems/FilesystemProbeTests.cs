// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using Partition.Filesystems;
using TestSupport;

namespace Partition.Tests.Filesystems;

/// <summary>The filesystem header an install reads before writing an image to a typed slot: real mkfs output, and hostile bytes.</summary>
public sealed class FilesystemProbeTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<byte[]> MakeAsync(string tool, long size, params string[] arguments)
    {
        string image = _dir.Path($"{tool}.img");
        await using (var file = File.Create(image))
        {
            file.SetLength(size);
        }
        var result = await ProcessRunner.RunAsync(tool, [.. arguments, image]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return File.ReadAllBytes(image)[..FilesystemProbe.HeaderLength];
    }

    [Theory]
    [InlineData("1024")]
    [InlineData("4096")]
    public async Task An_ext4_image_made_by_mkfs_is_read_with_its_size(string blockSize)
    {
        var header = await MakeAsync("mkfs.ext4", 8 << 20, "-q", "-F", "-b", blockSize);
        var (fs, problem) = FilesystemProbe.Probe(header, SlotType.Ext4);
        Assert.Null(problem);
        Assert.Equal(new FilesystemHeader(SlotType.Ext4, 8 << 20), fs);
    }

    [Fact]
    public async Task A_64_bit_ext4_reads_the_high_half_of_its_block_count()
    {
        var header = await MakeAsync("mkfs.ext4", 8 << 20, "-q", "-F", "-O", "64bit", "-b", "4096");
        // Blocks beyond 2^32 as far as the superblock says: the probe must read s_blocks_count_hi.
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(1024 + 0x150), 1);
        var (fs, _) = FilesystemProbe.Probe(header, SlotType.Ext4);
        Assert.Equal(((1L << 32) + 2048) * 4096, fs!.Size);
    }

    [Fact]
    public async Task A_fat_image_made_by_mkfs_is_read_with_its_size()
    {
        var header = await MakeAsync("mkfs.vfat", 16 << 20);
        var (fs, problem) = FilesystemProbe.Probe(header, SlotType.Vfat);
        Assert.Null(problem);
        Assert.Equal(new FilesystemHeader(SlotType.Vfat, 16 << 20), fs);
    }

    [Fact]
    public async Task Each_filesystem_is_not_taken_for_the_other()
    {
        var ext4 = await MakeAsync("mkfs.ext4", 8 << 20, "-q", "-F");
        Assert.Contains("no FAT boot sector", FilesystemProbe.Probe(ext4, SlotType.Vfat).Problem, StringComparison.Ordinal);
        var fat = await MakeAsync("mkfs.vfat", 16 << 20);
        Assert.Contains("no ext2/3/4 superblock (magic at byte 1080", FilesystemProbe.Probe(fat, SlotType.Ext4).Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1024 + 0x18, 7u, "s_log_block_size (byte 1048) is 7")]
    [InlineData(1024 + 0x04, 0u, "block count 0 (byte 1028)")]
    public async Task A_superblock_with_an_impossible_field_names_it(int offset, uint value, string expected)
    {
        var header = await MakeAsync("mkfs.ext4", 8 << 20, "-q", "-F");
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(offset), value);
        var (fs, problem) = FilesystemProbe.Probe(header, SlotType.Ext4);
        Assert.Null(fs);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_block_count_that_would_overflow_is_a_problem_not_a_size()
    {
        var header = new byte[FilesystemProbe.HeaderLength];
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(1024 + 0x38), 0xEF53);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(1024 + 0x18), 6);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(1024 + 0x04), uint.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(1024 + 0x60), 0x80);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(1024 + 0x150), uint.MaxValue);
        var (fs, problem) = FilesystemProbe.Probe(header, SlotType.Ext4);
        Assert.Null(fs);
        Assert.Contains("is not a filesystem size", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(11, 1000, "bytes-per-sector (byte 11) is 1000")]
    [InlineData(13, 3, "sectors-per-cluster (byte 13) is 3")]
    public async Task A_boot_sector_with_an_impossible_field_names_it(int offset, int value, string expected)
    {
        var header = await MakeAsync("mkfs.vfat", 16 << 20);
        if (offset == 11)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(offset), (ushort)value);
        }
        else
        {
            header[offset] = (byte)value;
        }
        Assert.Contains(expected, FilesystemProbe.Probe(header, SlotType.Vfat).Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(511)]
    [InlineData(2047)]
    public void A_short_header_is_a_problem(int length)
    {
        Assert.NotNull(FilesystemProbe.Probe(new byte[length], SlotType.Ext4).Problem);
        Assert.NotNull(FilesystemProbe.Probe(new byte[length], SlotType.Vfat).Problem);
    }
}
