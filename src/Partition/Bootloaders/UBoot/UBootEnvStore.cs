// SPDX-License-Identifier: Apache-2.0
using Mono.Unix.Native;
using Partition.Devices;
using Partition.Storage;

namespace Partition.Bootloaders.UBoot;

/// <summary>
/// Reads the current U-Boot environment and writes a new one atomically. Redundant: the new environment goes to
/// the copy that is not current, with the next flag, in one write; until that write is complete its CRC does not
/// match, so U-Boot and fw_printenv keep using the current copy. Single copy (a whole file): replaced by rename.
/// On NOR flash (an MTD character device) the copy that is not current is erased, then programmed with the active
/// flag (1), then the old copy's flag is programmed to obsolete (0), as U-Boot's env/flash.c and libubootenv do; see
/// <see cref="WriteFlashAsync"/> for why a cut at any point leaves the old or the new environment.
/// </summary>
internal sealed class UBootEnvStore
{
    /// <summary>The redundant flags on NOR flash: boolean, not a generation count (CONFIG_ENV_IS_IN_FLASH, libubootenv's FLAGS_BOOLEAN).</summary>
    internal const byte FlashActiveFlag = 1, FlashObsoleteFlag = 0;

    private readonly DurableWriter _writer;
    private readonly Func<bool, INorFlash?> _openFlash;

    public UBootEnvStore(UBootOptions options)
        : this(options, DurableWriter.Instance)
    {
    }

    public UBootEnvStore(UBootOptions options, DurableWriter writer)
        : this(options, writer, write => MtdNorFlash.IsCharacterDevice(options.Device) ? MtdNorFlash.Open(options.Device, write) : null)
    {
    }

    /// <summary>With the flash the torn-write tests substitute: <paramref name="openFlash"/> returns null for a file or block device.</summary>
    internal UBootEnvStore(UBootOptions options, DurableWriter writer, Func<bool, INorFlash?> openFlash)
    {
        Options = options;
        _writer = writer;
        _openFlash = openFlash;
    }

    public UBootOptions Options { get; }

    public async Task<UBootEnvSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        using var flash = OpenFlash(write: false);
        if (flash is not null)
        {
            CheckFlashLayout(flash);
        }

        var first = await ReadCopyAsync(flash, Options.Offset, cancellationToken).ConfigureAwait(false);
        if (Options.RedundantOffset is not { } second)
        {
            if (!first.CrcValid)
            {
                throw new BootEnvironmentException(Options.Device, Options.Offset,
                    "the environment's CRC-32 does not match its data (never written, or corrupt); provision it with mkenvimage");
            }

            return new UBootEnvSnapshot(first.Variables!, 0, null);
        }

        var other = await ReadCopyAsync(flash, second, cancellationToken).ConfigureAwait(false);
        int current = CurrentCopy(first, other, booleanFlags: flash is not null);
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
        using var flash = OpenFlash(write: true);
        if (flash is not null)
        {
            await WriteFlashAsync(flash, current, variables, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (Options.RedundantOffset is not { } second)
        {
            byte[] single = UBootEnvCopy.Encode(variables, Options.Size, null, Options.Device);
            if (IsWholeFile())
            {
                await _writer.ReplaceAsync(Options.Device, single, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                RequireSingleCopyOptIn("inside a device or a larger file");
                await _writer.WriteAtAsync(Options.Device, Options.Offset, single, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        byte flag = unchecked((byte)(current.Flag!.Value + 1));
        byte[] copy = UBootEnvCopy.Encode(variables, Options.Size, flag, Options.Device);
        long target = current.CopyIndex == 0 ? second : Options.Offset;
        await _writer.WriteAtAsync(Options.Device, target, copy, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The write on NOR flash. Redundant, in three steps, each of which a cut can stop:
    /// 1. erase the copy that is not current: its CRC no longer matches, the current copy is the only valid one;
    /// 2. program the new copy, active flag included: its CRC matches only once the last byte is in (the padding
    ///    is zeros, which erased flash is not), so a cut part-way leaves the current copy the only valid one;
    /// 3. program the old copy's flag to obsolete. Before this, both copies are valid with flag 1, and U-Boot and
    ///    libubootenv both take the first copy: the old or the new environment, whole.
    /// Every programmed copy is read back before the next step.
    /// </summary>
    private async Task WriteFlashAsync(INorFlash flash, UBootEnvSnapshot current, IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken)
    {
        CheckFlashLayout(flash);
        if (Options.RedundantOffset is not { } second)
        {
            RequireSingleCopyOptIn("on NOR flash (an erase, then a write)");
            byte[] single = UBootEnvCopy.Encode(variables, Options.Size, null, Options.Device);
            await ReplaceFlashCopyAsync(flash, Options.Offset, single, "the environment is invalid until it is written again; U-Boot uses its built-in one", cancellationToken).ConfigureAwait(false);
            return;
        }

        long currentOffset = current.CopyIndex == 0 ? Options.Offset : second;
        long target = current.CopyIndex == 0 ? second : Options.Offset;
        byte[] copy = UBootEnvCopy.Encode(variables, Options.Size, FlashActiveFlag, Options.Device);
        await ReplaceFlashCopyAsync(flash, target, copy, "the current copy is unchanged and still the one in use", cancellationToken).ConfigureAwait(false);
        await flash.ProgramAsync(currentOffset + 4, new[] { FlashObsoleteFlag }, cancellationToken).ConfigureAwait(false);
    }

    private async Task ReplaceFlashCopyAsync(INorFlash flash, long offset, byte[] copy, string whatRemains, CancellationToken cancellationToken)
    {
        await flash.EraseAsync(offset, EraseSpan(flash), cancellationToken).ConfigureAwait(false);
        await flash.ProgramAsync(offset, copy, cancellationToken).ConfigureAwait(false);
        byte[] back = await flash.ReadAsync(offset, copy.Length, cancellationToken).ConfigureAwait(false);
        int differs = back.AsSpan().CommonPrefixLength(copy);
        if (differs < copy.Length)
        {
            throw new BootEnvironmentException(Options.Device, offset + differs,
                $"the flash does not read back what was programmed (0x{back[differs]:x2} instead of 0x{copy[differs]:x2}): a worn or protected block; {whatRemains}");
        }
    }

    private long EraseSpan(INorFlash flash) => (Options.Size + (long)flash.EraseBlockSize - 1) / flash.EraseBlockSize * flash.EraseBlockSize;

    /// <summary>Each copy starts on an erase block (as U-Boot's CONFIG_ENV_OFFSET and CONFIG_ENV_SECT_SIZE keep it) and ends inside the device.</summary>
    private void CheckFlashLayout(INorFlash flash)
    {
        long span = EraseSpan(flash);
        foreach (var (key, offset) in Copies())
        {
            if (offset % flash.EraseBlockSize != 0)
            {
                throw new BootEnvironmentException(Options.Device, offset,
                    $"{key} is not at the start of an erase block (0x{flash.EraseBlockSize:x} bytes, from MEMGETINFO): an erase would take the bytes before it too");
            }

            if (offset + span > flash.Size)
            {
                throw new BootEnvironmentException(Options.Device, offset,
                    $"{key}: the copy's erase blocks (0x{span:x} bytes) run past the end of the flash (0x{flash.Size:x} bytes)");
            }
        }

        // Copies that start on erase blocks and do not overlap (the constructor checks that) never share a block.
    }

    private IEnumerable<(string Key, long Offset)> Copies()
    {
        yield return ("uboot-env-offset", Options.Offset);
        if (Options.RedundantOffset is { } second)
        {
            yield return ("uboot-env-redundant-offset", second);
        }
    }

    private void RequireSingleCopyOptIn(string where)
    {
        if (!Options.SingleCopyInPlace)
        {
            throw new BootEnvironmentException(Options.Device, Options.Offset,
                $"a single-copy environment {where} cannot be written atomically: a power cut mid-write leaves a bad CRC and " +
                "U-Boot falls back to its built-in environment; configure the redundant environment (uboot-env-redundant-offset), " +
                "keep a single copy as a whole file of exactly uboot-env-size bytes, or accept that risk with " +
                $"uboot-env-single-copy={UBootOptions.SingleCopyInPlaceValue}");
        }
    }

    private INorFlash? OpenFlash(bool write)
    {
        try
        {
            return _openFlash(write);
        }
        catch (FileNotFoundException e)
        {
            throw new BootEnvironmentException(Options.Device, "does not exist (uboot-env)", e);
        }
    }

    /// <summary>
    /// Which copy U-Boot (env_import_redund) and libubootenv use: the only valid one, or of two valid ones the
    /// newer flag, where 0 follows 255. On NOR flash (<paramref name="booleanFlags"/>) the flag is active (1) or
    /// obsolete (0), and libubootenv lets an unwritten flag (0xFF) win; U-Boot differs from it only when both are
    /// 0xFF, which no writer leaves. Equal flags: the first copy. -1 when neither is valid.
    /// </summary>
    internal static int CurrentCopy(UBootEnvCopy first, UBootEnvCopy second, bool booleanFlags = false)
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
        if (booleanFlags)
        {
            return b == 0xFF ? 1 : a == 0xFF ? 0 : b > a ? 1 : 0;
        }

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

    private async Task<UBootEnvCopy> ReadCopyAsync(INorFlash? flash, long offset, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = flash is null
                ? await ReadAtAsync(Options.Device, offset, Options.Size, cancellationToken).ConfigureAwait(false)
                : await flash.ReadAsync(offset, Options.Size, cancellationToken).ConfigureAwait(false);
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

    private bool IsWholeFile() =>
        // lstat: a symlink would be replaced by the rename instead of the file it points to.
        Options.Offset == 0
        && Syscall.lstat(Options.Device, out var stat) == 0
        && (stat.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFREG
        && stat.st_size == Options.Size;
}
