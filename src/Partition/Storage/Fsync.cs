// SPDX-License-Identifier: Apache-2.0
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace Partition.Storage;

/// <summary>
/// The one fsync(2) of the library, through Mono.Posix as DESIGN asks: nothing is recorded as written (a slot, a
/// state file, an environment) before the data is on stable storage.
/// </summary>
internal static class Fsync
{
    /// <summary>Flushes an open file or block device.</summary>
    public static void FlushHandle(SafeFileHandle handle, string path)
    {
        // The reference keeps the descriptor from being closed, and its number reused, while fsync runs on it.
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            FlushDescriptor((int)handle.DangerousGetHandle(), path);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Opens <paramref name="path"/> (a file, or with <paramref name="directory"/> a directory) only to flush it.</summary>
    public static void FlushPath(string path, bool directory)
    {
        var flags = OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC | (directory ? OpenFlags.O_DIRECTORY : 0);
        int fd = Syscall.open(path, flags);
        if (fd < 0)
        {
            throw new IOException($"{path}: cannot open to sync it: {Stdlib.strerror(Stdlib.GetLastError())}");
        }

        try
        {
            FlushDescriptor(fd, path);
        }
        finally
        {
            _ = Syscall.close(fd);
        }
    }

    private static void FlushDescriptor(int fd, string path)
    {
        if (Syscall.fsync(fd) != 0)
        {
            throw new IOException($"{path}: fsync failed: {Stdlib.strerror(Stdlib.GetLastError())}");
        }
    }
}
