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
        SyncDirectory(directory);
    }

    /// <summary>fsync a directory: makes the creation, rename or removal of an entry in it durable.</summary>
    public static void SyncDirectory(string directory)
    {
        int fd = Syscall.open(directory, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);
        if (fd < 0)
        {
            throw new IOException($"{directory}: cannot open directory to sync it: {Stdlib.strerror(Stdlib.GetLastError())}");
        }
        try
        {
            if (Syscall.fsync(fd) != 0)
            {
                throw new IOException($"{directory}: fsync failed: {Stdlib.strerror(Stdlib.GetLastError())}");
            }
        }
        finally
        {
            Syscall.close(fd);
        }
    }
}
