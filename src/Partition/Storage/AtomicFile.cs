using Mono.Unix.Native;

namespace Partition.Storage;

/// <summary>
/// Replaces a file so that a reader, or the next boot after a power cut, sees the complete old content or
/// the complete new content: write a temporary file beside it, fsync it, rename it over the target, fsync
/// the directory so the rename itself is durable.
/// </summary>
public static class AtomicFile
{
    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken,
        UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)
    {
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        string temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(path)}.tmp-{Environment.ProcessId}");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = mode,
            };
            await using (var stream = new FileStream(temp, options))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        SyncRenamed(path);
    }

    /// <summary>
    /// Makes a rename durable: the file under its new name first, then its directory. On FAT (an ESP) the
    /// renamed entry is written with the file's own inode, not with the directory, while an fsync of the
    /// directory already flushes the FAT, where the replaced file's clusters are freed: directory first, and a
    /// power cut right after leaves an entry pointing at freed clusters (seen under QEMU on the e2e disk).
    /// </summary>
    public static void SyncRenamed(string path)
    {
        SyncPath(path, OpenFlags.O_RDONLY);
        SyncDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
    }

    /// <summary>fsync a directory: makes the creation, rename or removal of an entry in it durable.</summary>
    public static void SyncDirectory(string directory) => SyncPath(directory, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);

    private static void SyncPath(string path, OpenFlags flags)
    {
        int fd = Syscall.open(path, flags);
        if (fd < 0)
        {
            throw new IOException($"{path}: cannot open to sync it: {Stdlib.strerror(Stdlib.GetLastError())}");
        }
        try
        {
            if (Syscall.fsync(fd) != 0)
            {
                throw new IOException($"{path}: fsync failed: {Stdlib.strerror(Stdlib.GetLastError())}");
            }
        }
        finally
        {
            Syscall.close(fd);
        }
    }
}
