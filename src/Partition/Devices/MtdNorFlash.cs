// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace Partition.Devices;

/// <summary>
/// NOR flash through an MTD character device (/dev/mtdN): its geometry from MEMGETINFO, erases with MEMERASE, reads
/// and writes with pread and pwrite, which mtdchar turns into flash reads and programming. There is no page cache in
/// between: a write has reached the chip when it returns, so there is nothing to fsync.
/// </summary>
internal sealed class MtdNorFlash : INorFlash
{
    // mtd-abi.h
    private const byte MtdRam = 1, MtdRom = 2, MtdNor = 3, MtdNand = 4, MtdDataFlash = 6, MtdUbiVolume = 7, MtdMlcNand = 8;
    private const uint MtdWriteable = 0x400;

    private readonly SafeFileHandle _handle;
    private readonly int _fd;

    private MtdNorFlash(string path, SafeFileHandle handle, int fd, long size, int eraseBlockSize)
    {
        Path = path;
        _handle = handle;
        _fd = fd;
        Size = size;
        EraseBlockSize = eraseBlockSize;
    }

    public string Path { get; }

    public long Size { get; }

    public int EraseBlockSize { get; }

    /// <summary>Whether <paramref name="path"/> is a character device, which for an environment can only be MTD.</summary>
    public static bool IsCharacterDevice(string path) =>
        Syscall.stat(path, out var stat) == 0 && (stat.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFCHR;

    /// <summary>Opens <paramref name="path"/> and checks that it is NOR flash (and writable, when <paramref name="write"/>).</summary>
    public static MtdNorFlash Open(string path, bool write)
    {
        int fd = NativeMethods.Open(path, (write ? NativeMethods.O_RDWR : NativeMethods.O_RDONLY) | NativeMethods.O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"{path}: cannot open: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (NativeMethods.IoctlMtdInfo(fd, NativeMethods.MEMGETINFO, out var info) != 0)
            {
                throw new IOException($"{path}: is a character device but not MTD flash (MEMGETINFO: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})");
            }

            if (info.Type != MtdNor)
            {
                throw new IOException($"{path}: is {TypeName(info.Type)}, not NOR flash; " + (info.Type is MtdNand or MtdMlcNand
                    ? "NAND's bad blocks and page-sized writes are not handled: keep the environment on NOR, eMMC or a file"
                    : "only NOR flash is written through MTD"));
            }

            if (info.EraseSize == 0 || info.EraseSize > 16 * 1024 * 1024 || info.Size == 0)
            {
                throw new IOException($"{path}: MEMGETINFO reports an erase block of {info.EraseSize} bytes in {info.Size}; not a usable flash geometry");
            }

            if (write && (info.Flags & MtdWriteable) == 0)
            {
                throw new IOException($"{path}: the MTD partition is read-only (marked ro in mtdparts or the device tree)");
            }

            return new MtdNorFlash(path, handle, fd, info.Size, (int)info.EraseSize);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public async Task<byte[]> ReadAsync(long offset, int length, CancellationToken cancellationToken)
    {
        CheckRange(offset, length);
        var buffer = new byte[length];
        int filled = 0;
        while (filled < length)
        {
            int read = await RandomAccess.ReadAsync(_handle, buffer.AsMemory(filled), offset + filled, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException($"{Path}: the flash ends at byte {offset + filled}, {Size} reported");
            }

            filled += read;
        }

        return buffer;
    }

    public Task EraseAsync(long offset, long length, CancellationToken cancellationToken)
    {
        CheckRange(offset, length);
        if (offset % EraseBlockSize != 0 || length % EraseBlockSize != 0)
        {
            throw new ArgumentException($"{Path}: an erase of {length} bytes at {offset} is not whole erase blocks of {EraseBlockSize}");
        }

        // One block per call, as libubootenv does: a cut leaves whole blocks erased or not.
        for (long block = offset; block < offset + length; block += EraseBlockSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var erase = new NativeMethods.EraseInfoUser { Start = checked((uint)block), Length = (uint)EraseBlockSize };
            // Chips that power up locked need this; on the others it fails, which is fine.
            _ = NativeMethods.IoctlErase(_fd, NativeMethods.MEMUNLOCK, in erase);
            if (NativeMethods.IoctlErase(_fd, NativeMethods.MEMERASE, in erase) != 0)
            {
                throw new IOException($"{Path}: erasing the block at byte {block} (0x{block:x}) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
        }

        return Task.CompletedTask;
    }

    public async Task ProgramAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        CheckRange(offset, data.Length);
        await RandomAccess.WriteAsync(_handle, data, offset, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _handle.Dispose();

    private void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > Size)
        {
            throw new IOException($"{Path}: bytes {offset}..{offset + length} (0x{offset:x}) lie outside the flash of {Size} (0x{Size:x}) bytes");
        }
    }

    private static string TypeName(byte type) => type switch
    {
        MtdRam => "RAM (MTD_RAM)",
        MtdRom => "ROM (MTD_ROM)",
        MtdNand => "NAND flash",
        MtdMlcNand => "MLC NAND flash",
        MtdDataFlash => "DataFlash",
        MtdUbiVolume => "a UBI volume",
        _ => $"MTD type {type}",
    };
}
