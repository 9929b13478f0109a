// SPDX-License-Identifier: Apache-2.0
using Mono.Unix.Native;

namespace Partition.Devices;

/// <summary>
/// What a path really is on this machine: a block device (by its device number) or a regular file (by its
/// inode). Two paths with the same identity are the same storage, whatever their names (symlinks,
/// /dev/disk/by-label, ..). Guards use this so that the booted slot cannot be written through another name.
/// </summary>
public readonly record struct DeviceIdentity(bool IsBlockDevice, ulong Device, ulong Inode, ulong RawDevice)
{
    public static DeviceIdentity Of(string path)
    {
        if (Syscall.stat(path, out var st) != 0)
        {
            var errno = Stdlib.GetLastError();
            throw new IOException($"{path}: cannot stat: {Stdlib.strerror(errno)}");
        }
        bool isBlock = (st.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFBLK;
        bool isRegular = (st.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFREG;
        if (!isBlock && !isRegular)
        {
            throw new IOException($"{path}: neither a block device nor a regular file");
        }
        return new DeviceIdentity(isBlock, st.st_dev, st.st_ino, st.st_rdev);
    }

    /// <summary>The filesystem that holds <paramref name="path"/> (e.g. "/"): its st_dev.</summary>
    public static ulong FilesystemDeviceOf(string path)
    {
        if (Syscall.stat(path, out var st) != 0)
        {
            throw new IOException($"{path}: cannot stat: {Stdlib.strerror(Stdlib.GetLastError())}");
        }
        return st.st_dev;
    }

    public bool SameStorageAs(DeviceIdentity other) =>
        IsBlockDevice == other.IsBlockDevice &&
        (IsBlockDevice ? RawDevice == other.RawDevice : Device == other.Device && Inode == other.Inode);
}
