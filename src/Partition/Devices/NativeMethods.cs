// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace Partition.Devices;

/// <summary>The few libc calls Mono.Posix lacks: ioctl for a block device's size, an inode's flags and MTD flash, open with O_DIRECT, statfs.</summary>
internal static partial class NativeMethods
{
    /// <summary>_IOR(0x12, 114, size_t): the size of a block device in bytes.</summary>
    internal const ulong BLKGETSIZE64 = 0x80081272;

    internal const int O_RDONLY = 0;
    internal const int O_RDWR = 2;
    internal const int O_CLOEXEC = 0x80000;
    /// <summary>
    /// O_DIRECT is not the same bit everywhere: 0x4000 on x86 (where arm and arm64 have O_DIRECTORY there, which
    /// turns an open of a block device into ENOTDIR), 0x10000 on arm and arm64 (asm-generic/fcntl.h vs arch headers).
    /// </summary>
    internal static readonly int O_DIRECT = ODirectFor(RuntimeInformation.ProcessArchitecture);

    internal static int ODirectFor(Architecture architecture) => architecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => throw new PlatformNotSupportedException($"O_DIRECT's value on {architecture} is not known here"),
    };
    internal const int O_EXCL = 0x80;
    internal const int EBUSY = 16;

    [LibraryImport("libc", SetLastError = true, EntryPoint = "ioctl")]
    internal static partial int IoctlUInt64(int fd, ulong request, out ulong value);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    /// <summary>_IOR('f', 1, long) and _IOW('f', 2, long): an inode's flags (chattr), of which efivarfs sets immutable.</summary>
    internal const ulong FS_IOC_GETFLAGS = 0x80086601;
    internal const ulong FS_IOC_SETFLAGS = 0x40086602;
    internal const int FS_IMMUTABLE_FL = 0x10;

    /// <summary>statfs(2)'s f_type of efivarfs.</summary>
    internal const long EFIVARFS_MAGIC = 0xde5e81e4;

    [LibraryImport("libc", SetLastError = true, EntryPoint = "ioctl")]
    internal static partial int IoctlInt(int fd, ulong request, ref int value);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "statfs", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int StatFs(string path, out StatFsBuffer buffer);

    /// <summary>struct statfs on 64-bit Linux (120 bytes; f_type first), with room to spare.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct StatFsBuffer
    {
        public long Type;
        public long Rest1, Rest2, Rest3, Rest4, Rest5, Rest6, Rest7, Rest8, Rest9, Rest10, Rest11, Rest12, Rest13, Rest14, Rest15;
    }

    /// <summary>_IOR('M', 1, struct mtd_info_user): an MTD device's type, size and erase block (mtd-abi.h).</summary>
    internal const ulong MEMGETINFO = 0x80204d01;

    /// <summary>_IOW('M', 2, struct erase_info_user): erases whole erase blocks.</summary>
    internal const ulong MEMERASE = 0x40084d02;

    /// <summary>_IOW('M', 6, struct erase_info_user): unlocks blocks of a chip that powers up locked.</summary>
    internal const ulong MEMUNLOCK = 0x40084d06;

    [LibraryImport("libc", SetLastError = true, EntryPoint = "ioctl")]
    internal static partial int IoctlMtdInfo(int fd, ulong request, out MtdInfoUser info);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "ioctl")]
    internal static partial int IoctlErase(int fd, ulong request, in EraseInfoUser erase);

    /// <summary>struct mtd_info_user (32 bytes: u8 type, then u32 fields at natural alignment, a u64 pad).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MtdInfoUser
    {
        public byte Type;
        public uint Flags;
        public uint Size;
        public uint EraseSize;
        public uint WriteSize;
        public uint OobSize;
        public ulong Padding;
    }

    /// <summary>struct erase_info_user: start and length in bytes, both multiples of the erase block.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct EraseInfoUser
    {
        public uint Start;
        public uint Length;
    }
}
