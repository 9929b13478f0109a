// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using Mono.Unix.Native;
using Partition.Devices;
using Partition.Storage;

namespace Partition.Bootloaders.Efi;

/// <summary>
/// Reads and writes EFI variables as files: efivarfs (each file is 4 bytes of attributes, then the data), or a
/// plain directory of such files, which is what efibootmgr and libefivar read with EFIVARFS_PATH set and what the
/// tests and the exploration use. On efivarfs a write is one write(2) of attributes and data, which the kernel
/// passes to the firmware's SetVariable as one call (atomic by the UEFI specification); variables the kernel does
/// not know (this project's own) are created immutable, so the flag is cleared before a write or a delete. In a
/// plain directory a write is an atomic replace and a delete an unlink, each flushed.
/// </summary>
public static class EfiVariableStore
{
    /// <summary>The variable's bytes (attributes first), or null when it does not exist.</summary>
    /// <exception cref="BootEnvironmentException">It is longer than <paramref name="maxSize"/> or cannot be read.</exception>
    public static byte[]? Read(string path, int maxSize)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return null;
            }
            if (info.Length > maxSize)
            {
                throw new BootEnvironmentException(path, null, $"is {info.Length} bytes; at most {maxSize} are expected here");
            }
            // efivarfs reports the size it will return, but a variable can change between stat and read: read at
            // most one byte more than allowed to notice.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var buffer = new byte[maxSize + 1];
            int total = 0, read;
            while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += read;
            }
            if (total > maxSize)
            {
                throw new BootEnvironmentException(path, null, $"is longer than {maxSize} bytes");
            }
            return buffer[..total];
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BootEnvironmentException(path, "cannot be read", e);
        }
    }

    /// <summary>Writes the variable (attributes, then <paramref name="data"/>) in one atomic step.</summary>
    internal static async Task WriteAsync(string path, uint attributes, ReadOnlyMemory<byte> data, DurableWriter writer, CancellationToken cancellationToken)
    {
        var bytes = new byte[4 + data.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, attributes);
        data.CopyTo(bytes.AsMemory(4));
        if (!IsEfivarfs(path))
        {
            await writer.ReplaceAsync(path, bytes, cancellationToken).ConfigureAwait(false);
            return;
        }
        cancellationToken.ThrowIfCancellationRequested();
        ClearImmutable(path);
        int fd = Syscall.open(path, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_CLOEXEC, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR | FilePermissions.S_IRGRP | FilePermissions.S_IROTH);
        if (fd < 0)
        {
            throw Failed(path, "cannot be opened for writing");
        }
        try
        {
            // One write(2): efivarfs hands it to SetVariable whole; a short write would be a torn variable.
            long written;
            var pinned = System.Runtime.InteropServices.GCHandle.Alloc(bytes, System.Runtime.InteropServices.GCHandleType.Pinned);
            try
            {
                written = Syscall.write(fd, pinned.AddrOfPinnedObject(), (ulong)bytes.Length);
            }
            finally
            {
                pinned.Free();
            }
            if (written != bytes.Length)
            {
                throw written < 0 ? Failed(path, "was refused by the firmware") : new BootEnvironmentException(path, null, $"took {written} of {bytes.Length} bytes");
            }
        }
        finally
        {
            Syscall.close(fd);
        }
    }

    /// <summary>Deletes the variable when it exists.</summary>
    internal static async Task DeleteAsync(string path, DurableWriter writer, CancellationToken cancellationToken)
    {
        if (!IsEfivarfs(path))
        {
            await writer.DeleteAsync(path, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!File.Exists(path))
        {
            return;
        }
        ClearImmutable(path);
        if (Syscall.unlink(path) != 0 && Stdlib.GetLastError() != Errno.ENOENT)
        {
            throw Failed(path, "cannot be deleted");
        }
    }

    /// <summary>Whether <paramref name="path"/>'s directory is efivarfs rather than a directory of variable files.</summary>
    public static bool IsEfivarfs(string path)
    {
        string directory = System.IO.Path.GetDirectoryName(path) ?? "/";
        return NativeMethods.StatFs(directory, out var buffer) == 0 && (buffer.Type & 0xffffffffL) == NativeMethods.EFIVARFS_MAGIC;
    }

    private static void ClearImmutable(string path)
    {
        int fd = NativeMethods.Open(path, NativeMethods.O_RDONLY | NativeMethods.O_CLOEXEC);
        if (fd < 0)
        {
            return; // not there yet: a new variable is created writable enough for its first write
        }
        try
        {
            int flags = 0;
            if (NativeMethods.IoctlInt(fd, NativeMethods.FS_IOC_GETFLAGS, ref flags) != 0 || (flags & NativeMethods.FS_IMMUTABLE_FL) == 0)
            {
                return;
            }
            flags &= ~NativeMethods.FS_IMMUTABLE_FL;
            if (NativeMethods.IoctlInt(fd, NativeMethods.FS_IOC_SETFLAGS, ref flags) != 0)
            {
                throw Failed(path, "is immutable and its flag cannot be cleared (chattr -i)");
            }
        }
        finally
        {
            Syscall.close(fd);
        }
    }

    private static BootEnvironmentException Failed(string path, string what) =>
        new(path, null, $"{what}: {Stdlib.strerror(Stdlib.GetLastError())}");
}
