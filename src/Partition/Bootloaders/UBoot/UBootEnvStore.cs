// SPDX-License-Identifier: Apache-2.0
using Mono.Unix.Native;
using Partition.Storage;

namespace Partition.Bootloaders.UBoot;

/// <summary>
/// Reads the current U-Boot environment and writes a new one atomically. Redundant: the new environment goes to
/// the copy that is not current, with the next flag, in one write; until that write is complete its CRC does not
/// match, so U-Boot and fw_printenv keep using the current copy. Single copy (a whole file): replaced by rename.
/// </summary>
internal sealed class UBootEnvStore(UBootOptions options, DurableWriter writer)
{
    public UBootEnvStore(UBootOptions options)
        : this(options, DurableWriter.Instance)
    {
    }

    public UBootOptions Options { get; } = options;

    public async Task<UBootEnvSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var first = await ReadCopyAsync(Options.Offset, cancellationToken).ConfigureAwait(false);
        if (Options.RedundantOffset is not { } second)
        {
            if (!first.CrcValid)
            {
                throw new BootEnvironmentException(Options.Device, Options.Offset,
                    "the environment's CRC-32 does not match its data (never written, or corrupt); provision it with mkenvimage");
            }

            return new UBootEnvSnapshot(first.Variables!, 0, null);
        }

        var other = await ReadCopyAsync(second, cancellationToken).ConfigureAwait(false);
        int current = CurrentCopy(first, other);
        if (current < 0)
        {
            throw new BootEnvironmentException(Options.Device, null,
                $"neither copy of the redundant environment has a matching CRC-32 (offsets 0x{Options.Offset:x} and 0x{second:x}); provision it with mkenvimage -r");
        }

        var chosen = current == 0 ? first : other;
        return new UBootEnvSnapshot(chosen.Variables!, current, chosen.Flag);
    }

    /// <summary>Writes <paramref name="variables"/> as the new environment, replacing <paramref name="current"/>.</summary>
    public async Task WriteAsync(UBootEnvSnapshot current, IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken)
    {
        if (Options.RedundantOffset is not { } second)
        {
            EnsureWholeFile();
            byte[] single = UBootEnvCopy.Encode(variables, Options.Size, null, Options.Device);
            await writer.ReplaceAsync(Options.Device, single, cancellationToken).ConfigureAwait(false);
            return;
        }

        byte flag = unchecked((byte)(current.Flag!.Value + 1));
        byte[] copy = UBootEnvCopy.Encode(variables, Options.Size, flag, Options.Device);
        long target = current.CopyIndex == 0 ? second : Options.Offset;
        await writer.WriteAtAsync(Options.Device, target, copy, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Which copy U-Boot (env_import_redund) and libubootenv use: the only valid one, or of two valid ones the
    /// newer flag, where 0 follows 255. -1 when neither is valid.
    /// </summary>
    internal static int CurrentCopy(UBootEnvCopy first, UBootEnvCopy second)
    {
        if (!first.CrcValid)
        {
            return second.CrcValid ? 1 : -1;
        }

        if (!second.CrcValid)
        {
            return 0;
        }

        byte a = first.Flag!.Value, b = second.Flag!.Value;
        if (a == 255 && b == 0)
        {
            return 1;
        }

        if (b == 255 && a == 0)
        {
            return 0;
        }

        return b > a ? 1 : 0;
    }

    private async Task<UBootEnvCopy> ReadCopyAsync(long offset, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await ReadAtAsync(Options.Device, offset, Options.Size, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException e)
        {
            throw new BootEnvironmentException(Options.Device, "does not exist (uboot-env)", e);
        }

        return UBootEnvCopy.Decode(bytes, Options.Redundant, Options.Device, offset);
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes at <paramref name="offset"/>; works on block devices too.</summary>
    internal static async Task<byte[]> ReadAtAsync(string path, long offset, int length, CancellationToken cancellationToken)
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

    private void EnsureWholeFile()
    {
        // lstat: a symlink would be replaced by the rename instead of the file it points to.
        bool wholeRegularFile = Options.Offset == 0
            && Syscall.lstat(Options.Device, out var stat) == 0
            && (stat.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFREG
            && stat.st_size == Options.Size;
        if (!wholeRegularFile)
        {
            throw new BootEnvironmentException(Options.Device, Options.Offset,
                "a single-copy environment inside a device or a larger file cannot be written atomically (a power cut " +
                "mid-write leaves a bad CRC and U-Boot falls back to its built-in environment); configure the redundant " +
                "environment (uboot-env-redundant-offset), or keep a single copy as a whole file of exactly uboot-env-size bytes");
        }
    }
}

