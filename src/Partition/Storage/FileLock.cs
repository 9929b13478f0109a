// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using Mono.Unix.Native;

namespace Partition.Storage;

/// <summary>
/// An exclusive flock(2) on a dedicated lock file, held until disposed; the kernel drops it with the descriptor,
/// also when the process dies, so a crash never leaves a stale lock. The lock file holds no data and is never
/// replaced: a lock on a file that is renamed over would guard an inode nobody opens any more. It is opened with
/// a plain open(2), not a FileStream, because .NET takes flock locks of its own on files it opens (FileShare).
/// flock locks belong to the open file, so two holders in one process exclude each other as two processes do.
/// </summary>
public sealed partial class FileLock : IDisposable
{
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int LockUnlock = 8;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    private int _fd;

    private FileLock(string path, int fd)
    {
        Path = path;
        _fd = fd;
    }

    public string Path { get; }

    /// <summary>Takes the lock on <paramref name="path"/> (a file, created if missing, or a directory), or null at once when someone holds it.</summary>
    public static FileLock? TryAcquire(string path)
    {
        int fd = Open(path);
        try
        {
            if (!TryLock(fd, path))
            {
                return null;
            }

            var acquired = new FileLock(path, fd);
            fd = -1;
            return acquired;
        }
        finally
        {
            if (fd >= 0)
            {
                _ = Syscall.close(fd);
            }
        }
    }

    /// <summary>Waits, asynchronously and cancellably, until the lock on <paramref name="path"/> (created if missing) is taken.</summary>
    public static async Task<FileLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        int fd = Open(path);
        try
        {
            // Polling rather than a blocking flock: a thread parked in flock(2) cannot be cancelled.
            while (!TryLock(fd, path))
            {
                await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
            }

            var acquired = new FileLock(path, fd);
            fd = -1;
            return acquired;
        }
        finally
        {
            if (fd >= 0)
            {
                _ = Syscall.close(fd);
            }
        }
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            // Unlock before the close: the lock belongs to the open file, and a child another thread has forked
            // but not yet exec'd holds a copy of the descriptor (O_CLOEXEC acts only at exec), which would keep
            // the lock held past this close (seen in CI under load: a flock(1) right after was refused).
            _ = Flock(fd, LockUnlock);
            _ = Syscall.close(fd);
        }
    }

    private static int Open(string path)
    {
        // Read-only is enough for flock; O_NOFOLLOW so a symlink planted as the lock file is not followed. An existing
        // directory is locked as it is (flock works on any open file): where nothing can be created (efivarfs).
        const OpenFlags common = OpenFlags.O_RDONLY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC;
        OpenFlags flags = Directory.Exists(path) ? common | OpenFlags.O_DIRECTORY : common | OpenFlags.O_CREAT;
        int fd = Syscall.open(path, flags, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR);
        if (fd < 0)
        {
            throw new IOException($"{path}: cannot open the lock file: {Stdlib.strerror(Stdlib.GetLastError())}");
        }

        return fd;
    }

    /// <summary>True when taken; false when another open file holds it.</summary>
    private static bool TryLock(int fd, string path)
    {
        while (Flock(fd, LockExclusive | LockNonBlocking) != 0)
        {
            var error = NativeConvert.ToErrno(Marshal.GetLastPInvokeError());
            if (error == Errno.EWOULDBLOCK)
            {
                return false;
            }

            if (error != Errno.EINTR)
            {
                throw new IOException($"{path}: cannot lock: {Stdlib.strerror(error)}");
            }
        }

        return true;
    }

    /// <summary>Mono.Posix has no flock (only fcntl locks, which belong to the process and fall with any close).</summary>
    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}
