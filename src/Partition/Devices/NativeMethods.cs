// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace Partition.Devices;

/// <summary>The few libc calls Mono.Posix lacks: ioctl for a block device's size, open with O_DIRECT.</summary>
internal static partial class NativeMethods
{
    /// <summary>_IOR(0x12, 114, size_t): the size of a block device in bytes.</summary>
    internal const ulong BLKGETSIZE64 = 0x80081272;

    internal const int O_RDONLY = 0;
    internal const int O_RDWR = 2;
    internal const int O_CLOEXEC = 0x80000;
    internal const int O_DIRECT = 0x4000;
    internal const int O_EXCL = 0x80;
    internal const int EBUSY = 16;

    [LibraryImport("libc", SetLastError = true, EntryPoint = "ioctl")]
    internal static partial int IoctlUInt64(int fd, ulong request, out ulong value);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);
}
