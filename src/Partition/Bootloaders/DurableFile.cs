using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace Partition.Bootloaders;

/// <summary>
/// The two durable writes the environments need: replacing a whole file atomically (new file, fsync, rename
/// over the old one, fsync the file under its new name and the directory), and overwriting a region of a file
/// or block device in place followed by fsync. A reader sees the old file or the new one, never a mix, because
/// rename(2) is atomic and the new file's data is on disk before the rename can be.
/// </summary>
internal static class DurableFile
{
    /// <summary>The temporary file a replacement is written to, beside the target so rename stays on one filesystem.</summary>
    public static string TemporaryPathFor(string path) => path + ".updater-new";

    public static async Task ReplaceAsync(string path, ReadOnlyMemory<byte> content, PowerCut? cut, CancellationToken cancellationToken)
    {
        string temporary = TemporaryPathFor(path);
        var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.Asynchronous);
        using (handle)
        {
            int allowed = cut?.Allowed(content.Length) ?? content.Length;
            await RandomAccess.WriteAsync(handle, content[..allowed], 0, cancellationToken).ConfigureAwait(false);
            Fsync(handle, temporary);
            if (cut is not null)
            {
                throw new PowerCutException();
            }
        }

        if (Syscall.rename(temporary, path) != 0)
        {
            throw new IOException($"{path}: rename from {temporary} failed: {Stdlib.GetLastError()}");
        }

        Storage.AtomicFile.SyncRenamed(path);
    }

    public static async Task WriteAtAsync(string path, long offset, ReadOnlyMemory<byte> content, PowerCut? cut, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, FileOptions.Asynchronous);
        int allowed = cut?.Allowed(content.Length) ?? content.Length;
        await RandomAccess.WriteAsync(handle, content[..allowed], offset, cancellationToken).ConfigureAwait(false);
        Fsync(handle, path);
        if (cut is not null)
        {
            throw new PowerCutException();
        }
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes at <paramref name="offset"/>; works on block devices too.</summary>
    public static async Task<byte[]> ReadAtAsync(string path, long offset, int length, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.Asynchronous);
        var buffer = new byte[length];
        int filled = 0;
        while (filled < length)
        {
            int read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(filled), offset + filled, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new BootEnvironmentException(path, offset + filled,
                    $"the file ends here, but the environment needs {length} bytes from offset {offset} (0x{offset:x})");
            }

            filled += read;
        }

        return buffer;
    }

    private static void Fsync(SafeFileHandle handle, string path)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (Syscall.fsync((int)handle.DangerousGetHandle()) != 0)
            {
                throw new IOException($"{path}: fsync failed: {Stdlib.GetLastError()}");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

}
