// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;

namespace Partition.Filesystems;

/// <summary>What the first bytes of an image say it is: the filesystem and the size it claims, or a reason it is none.</summary>
public sealed record FilesystemHeader(SlotType Type, long Size);

/// <summary>
/// Reads the header of an ext2/3/4 or FAT filesystem from an image's first <see cref="HeaderLength"/> bytes:
/// enough to refuse an image that is not the filesystem its slot is configured for, or one that claims more bytes
/// than the slot holds, before a byte of it is written. Every field is bounded; hostile bytes give a reason,
/// never an exception or an overflow.
/// </summary>
public static class FilesystemProbe
{
    /// <summary>The ext superblock ends at byte 2048; a FAT boot sector at 512.</summary>
    public const int HeaderLength = 2048;

    private const int Ext4SuperblockOffset = 1024;
    private const ushort Ext4Magic = 0xEF53;
    private const uint Ext4Feature64Bit = 0x80;

    /// <summary>Reads a header of <paramref name="type"/> from <paramref name="header"/>.</summary>
    /// <returns>The header, or why the bytes are not that filesystem.</returns>
    public static (FilesystemHeader? Header, string? Problem) Probe(ReadOnlySpan<byte> header, SlotType type) => type switch
    {
        SlotType.Ext4 => Ext4(header),
        SlotType.Vfat => Vfat(header),
        _ => (null, "a raw slot has no filesystem to probe"),
    };

    private static (FilesystemHeader?, string?) Ext4(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderLength)
        {
            return (null, $"only {bytes.Length} bytes, an ext4 superblock ends at byte {HeaderLength}");
        }
        var sb = bytes.Slice(Ext4SuperblockOffset, 1024);
        ushort magic = BinaryPrimitives.ReadUInt16LittleEndian(sb[0x38..]);
        if (magic != Ext4Magic)
        {
            return (null, $"no ext2/3/4 superblock (magic at byte {Ext4SuperblockOffset + 0x38} is 0x{magic:x4}, expected 0x{Ext4Magic:x4})");
        }
        uint logBlockSize = BinaryPrimitives.ReadUInt32LittleEndian(sb[0x18..]);
        // Block sizes from 1 KiB to 64 KiB are what the kernel mounts.
        if (logBlockSize > 6)
        {
            return (null, $"ext4 superblock field s_log_block_size (byte {Ext4SuperblockOffset + 0x18}) is {logBlockSize}, expected 0..6 (1 KiB to 64 KiB blocks)");
        }
        ulong blocks = BinaryPrimitives.ReadUInt32LittleEndian(sb[0x04..]);
        uint incompat = BinaryPrimitives.ReadUInt32LittleEndian(sb[0x60..]);
        if ((incompat & Ext4Feature64Bit) != 0)
        {
            blocks |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(sb[0x150..]) << 32;
        }
        long blockSize = 1024L << (int)logBlockSize;
        // 2^50 bytes caps what any slot holds; checked before multiplying so hostile counts cannot overflow.
        if (blocks == 0 || blocks > (1UL << 50) / (ulong)blockSize)
        {
            return (null, $"ext4 superblock block count {blocks} (byte {Ext4SuperblockOffset + 0x04}) is not a filesystem size");
        }
        return (new FilesystemHeader(SlotType.Ext4, (long)blocks * blockSize), null);
    }

    private static (FilesystemHeader?, string?) Vfat(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 512)
        {
            return (null, $"only {bytes.Length} bytes, a FAT boot sector has 512");
        }
        if (bytes[510] != 0x55 || bytes[511] != 0xAA)
        {
            return (null, $"no FAT boot sector (bytes 510-511 are 0x{bytes[510]:x2}{bytes[511]:x2}, expected 0x55aa)");
        }
        ushort bytesPerSector = BinaryPrimitives.ReadUInt16LittleEndian(bytes[11..]);
        if (bytesPerSector is not (512 or 1024 or 2048 or 4096))
        {
            return (null, $"FAT boot sector field bytes-per-sector (byte 11) is {bytesPerSector}, expected 512, 1024, 2048 or 4096");
        }
        if (bytes[13] == 0 || (bytes[13] & (bytes[13] - 1)) != 0)
        {
            return (null, $"FAT boot sector field sectors-per-cluster (byte 13) is {bytes[13]}, expected a power of two");
        }
        long sectors = BinaryPrimitives.ReadUInt16LittleEndian(bytes[19..]);
        if (sectors == 0)
        {
            sectors = BinaryPrimitives.ReadUInt32LittleEndian(bytes[32..]);
        }
        if (sectors == 0)
        {
            return (null, "FAT boot sector gives 0 total sectors (bytes 19 and 32)");
        }
        return (new FilesystemHeader(SlotType.Vfat, sectors * bytesPerSector), null);
    }
}
