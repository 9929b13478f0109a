using System.Runtime.InteropServices;
using Mono.Unix.Native;

namespace Partition.Bootloaders;

/// <summary>
/// An exclusive flock(2) held while an environment is read, changed and written, so that two updater processes
/// (the daemon's health verdict and a person's `updater mark-bad`, say) cannot lose each other's change. The lock is
/// on the directory holding the environment: a file replaced by rename changes its inode, and .NET takes flock
/// locks of its own on the files it opens. The lock goes with the descriptor, also when the process dies.
/// </summary>
internal sealed partial class EnvironmentLock : IDisposable
{
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    private int _fd;

    private EnvironmentLock(int fd) => _fd = fd;

    /// <summary>Waits (asynchronously, cancellably) until <paramref name="path"/> (a file, device or directory) is locked.</summary>
    public static async Task<EnvironmentLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        int fd = Syscall.open(path, OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC);
        if (fd < 0)
        {
            throw new BootEnvironmentException(path, null, $"cannot open to lock: {Stdlib.GetLastError()}");
        }

        try
        {
            while (Flock(fd, LockExclusive | LockNonBlocking) != 0)
            {
                var error = NativeConvert.ToErrno(Marshal.GetLastPInvokeError());
                if (error != Errno.EWOULDBLOCK && error != Errno.EINTR)
                {
                    throw new BootEnvironmentException(path, null, $"cannot lock: {error}");
                }

                await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
            }

            var acquired = new EnvironmentLock(fd);
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
            _ = Syscall.close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}
