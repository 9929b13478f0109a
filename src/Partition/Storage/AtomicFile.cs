// SPDX-License-Identifier: Apache-2.0
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace Partition.Storage;

/// <summary>
/// The one atomic file replacement: a reader, or the next boot after a power cut, sees the complete old content or
/// the complete new content. <see cref="Create"/> opens a temporary file beside the target (same filesystem, so
/// rename(2) is atomic); the caller writes it through <see cref="Handle"/>; <see cref="Commit"/> fsyncs it, renames
/// it over the target, fsyncs the file under its new name and then the directory. Disposed without a commit, the
/// temporary is removed, so any failure leaves the target as it was and nothing beside it.
/// </summary>
public sealed class AtomicFile : IDisposable
{
    /// <summary>The mode of a file nobody but its owner needs to read (state, records): the default.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The mode of a file others read: a published bundle or channel file, a bootloader environment.</summary>
    public const UnixFileMode WorldReadable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Temporaries this process is writing: an existing file under one of these names is not a leftover.</summary>
    private static readonly HashSet<string> InFlight = new(StringComparer.Ordinal);

    private bool _committed;
    private bool _disposed;

    private AtomicFile(string target, string temporaryPath, SafeFileHandle handle)
    {
        Target = target;
        TemporaryPath = temporaryPath;
        Handle = handle;
    }

    /// <summary>The file being replaced (full path).</summary>
    public string Target { get; }

    /// <summary>Where the new content is written until <see cref="Commit"/>: <see cref="TemporaryPathFor"/> of the target.</summary>
    public string TemporaryPath { get; }

    /// <summary>The temporary file, open for reading and writing (RandomAccess, FileStream); owned by this object.</summary>
    public SafeFileHandle Handle { get; }

    /// <summary>
    /// The temporary a replacement of <paramref name="path"/> is written to: hidden, beside it, and named for this
    /// process, so two processes replacing the same file never share one, and a name that exists when a write starts
    /// is a leftover of this pid's earlier life (a crash, a power cut; pids repeat after a reboot).
    /// </summary>
    public static string TemporaryPathFor(string path)
    {
        string full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}");
    }

    /// <summary>
    /// Starts replacing <paramref name="path"/>: creates the temporary with O_CREAT|O_EXCL|O_NOFOLLOW and
    /// <paramref name="mode"/> (less the umask), so nothing planted under its name (a symlink to /etc/shadow, say) is
    /// written through. A regular file left there by a cut-short write is removed first; anything else is refused.
    /// </summary>
    public static AtomicFile Create(string path, UnixFileMode mode = OwnerOnly)
    {
        string target = Path.GetFullPath(path);
        string temporary = TemporaryPathFor(target);
        lock (InFlight)
        {
            if (!InFlight.Add(temporary))
            {
                throw new IOException($"{target}: already being replaced by this process");
            }
        }

        try
        {
            return new AtomicFile(target, temporary, OpenTemporary(temporary, mode));
        }
        catch
        {
            Release(temporary);
            throw;
        }
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/>: <see cref="Create"/>, write, <see cref="Commit"/>.</summary>
    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken, UnixFileMode mode = OwnerOnly)
    {
        using var file = Create(path, mode);
        await RandomAccess.WriteAsync(file.Handle, content, 0, cancellationToken).ConfigureAwait(false);
        file.Commit();
    }

    /// <summary>
    /// Makes a rename durable: the file under its new name first, then its directory. On FAT (an ESP) the
    /// renamed entry is written with the file's own inode, not with the directory, while an fsync of the
    /// directory already flushes the FAT, where the replaced file's clusters are freed: directory first, and a
    /// power cut right after leaves an entry pointing at freed clusters (seen under QEMU on the e2e disk).
    /// </summary>
    public static void SyncRenamed(string path)
    {
        Fsync.FlushPath(path, directory: false);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>fsync a directory: makes the creation, rename or removal of an entry in it durable.</summary>
    public static void SyncDirectory(string directory) => Fsync.FlushPath(directory, directory: true);

    /// <summary>Puts the written content in place, durably. After it returns, the target holds the new content.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Fsync.FlushHandle(Handle, TemporaryPath);
        if (Syscall.rename(TemporaryPath, Target) != 0)
        {
            throw new IOException($"{Target}: rename from {TemporaryPath} failed: {Stdlib.strerror(Stdlib.GetLastError())}");
        }

        _committed = true;
        SyncRenamed(Target);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Handle.Dispose();
        if (!_committed)
        {
            _ = Syscall.unlink(TemporaryPath);
        }

        Release(TemporaryPath);
    }

    private static SafeFileHandle OpenTemporary(string temporary, UnixFileMode mode)
    {
        const OpenFlags flags = OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC;
        bool removedLeftover = false;
        while (true)
        {
            int fd = Syscall.open(temporary, flags, (FilePermissions)(uint)mode);
            if (fd >= 0)
            {
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            var error = Stdlib.GetLastError();
            if (error != Errno.EEXIST || removedLeftover)
            {
                throw new IOException($"{temporary}: cannot create the temporary file: {Stdlib.strerror(error)}");
            }

            // No live writer owns it: other processes use other names, and this one's own are in InFlight.
            bool regular = Syscall.lstat(temporary, out var stat) == 0 && (stat.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFREG;
            if (!regular)
            {
                throw new IOException($"{temporary}: exists and is not a regular file (a symlink?); refusing to write through it");
            }

            if (Syscall.unlink(temporary) != 0 && Stdlib.GetLastError() != Errno.ENOENT)
            {
                throw new IOException($"{temporary}: cannot remove the leftover of an interrupted write: {Stdlib.strerror(Stdlib.GetLastError())}");
            }

            removedLeftover = true;
        }
    }

    private static void Release(string temporary)
    {
        lock (InFlight)
        {
            InFlight.Remove(temporary);
        }
    }
}
