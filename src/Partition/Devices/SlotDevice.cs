// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Partition.Storage;

namespace Partition.Devices;

/// <summary>
/// A slot's storage opened for reading or writing: a block device or a regular file. Knows its real size
/// (FileStream reports 0 for block devices, so the size comes from BLKGETSIZE64) and, for block devices
/// opened for writing, uses O_DIRECT so an image streams past the page cache instead of filling it.
/// </summary>
public sealed class SlotDevice : IDisposable
{
    /// <summary>Alignment for O_DIRECT buffers, offsets and lengths (covers 512 and 4096 byte sectors).</summary>
    public const int DirectIoAlignment = 4096;

    private SlotDevice(string path, SafeFileHandle handle, long size, bool isBlockDevice, bool direct)
    {
        Path = path;
        Handle = handle;
        Size = size;
        IsBlockDevice = isBlockDevice;
        IsDirect = direct;
    }

    public string Path { get; }

    public SafeFileHandle Handle { get; }

    /// <summary>Capacity in bytes: the block device's size, or the regular file's length.</summary>
    public long Size { get; }

    public bool IsBlockDevice { get; }

    /// <summary>Opened with O_DIRECT: writes must be aligned to <see cref="DirectIoAlignment"/>.</summary>
    public bool IsDirect { get; }

    public static SlotDevice OpenRead(string path) => Open(path, write: false, direct: false, exclusive: false);

    /// <summary>
    /// Opens for writing; <paramref name="direct"/> asks for O_DIRECT, honoured for block devices.
    /// <paramref name="exclusive"/> opens a block device with O_EXCL: the kernel then refuses (EBUSY) a device
    /// that is mounted, held by device-mapper or md, or whose partitions are in use — whatever name or
    /// stacking hides that the running system lives on it.
    /// </summary>
    public static SlotDevice OpenWrite(string path, bool direct, bool exclusive = true) => Open(path, write: true, direct: direct, exclusive: exclusive);

    private static SlotDevice Open(string path, bool write, bool direct, bool exclusive)
    {
        var identity = DeviceIdentity.Of(path);
        if (!identity.IsBlockDevice)
        {
            // A regular file keeps its length: an install overwrites it in place and never truncates it, so a
            // file-backed slot behaves like a partition of fixed size.
            var handle = File.OpenHandle(path, FileMode.Open, write ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite);
            return new SlotDevice(path, handle, RandomAccess.GetLength(handle), false, false);
        }

        bool useDirect = write && direct;
        int flags = (write ? NativeMethods.O_RDWR : NativeMethods.O_RDONLY) | NativeMethods.O_CLOEXEC
                    | (useDirect ? NativeMethods.O_DIRECT : 0) | (write && exclusive ? NativeMethods.O_EXCL : 0);
        int fd = NativeMethods.Open(path, flags);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == NativeMethods.EBUSY && write && exclusive)
            {
                throw new SlotInUseException($"{path}: in use (mounted, or held by device-mapper, md or another writer): refusing to write it");
            }
            throw new IOException($"{path}: cannot open: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        var safe = new SafeFileHandle(fd, ownsHandle: true);
        if (NativeMethods.IoctlUInt64(fd, NativeMethods.BLKGETSIZE64, out ulong size) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            safe.Dispose();
            throw new IOException($"{path}: cannot read the block device's size: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        return new SlotDevice(path, safe, checked((long)size), true, useDirect);
    }

    /// <summary>Flushes written data to stable storage (fsync): the install records nothing before this returns.</summary>
    public void Flush() => Fsync.FlushHandle(Handle, Path);

    public void Dispose() => Handle.Dispose();
}
