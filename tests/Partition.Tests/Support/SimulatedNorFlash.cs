// SPDX-License-Identifier: Apache-2.0
using Partition.Devices;

namespace Partition.Tests.Support;

/// <summary>
/// NOR flash as the chip behaves, kept in a file so that fw_printenv can read what it holds: an erase sets a whole
/// block to 0xFF, programming ANDs the new bits into the old ones (a 0 stays 0), and nothing else changes a byte.
/// A power cut comes after <see cref="StepsBeforeCut"/> steps, where erasing one block is a step and programming
/// one byte is a step: every point between two of the chip's own operations can be cut at.
/// </summary>
internal sealed class SimulatedNorFlash(string file, int eraseBlockSize, long stepsBeforeCut = long.MaxValue) : INorFlash
{
    private long _steps;

    public string Path => file;

    public long Size => new FileInfo(file).Length;

    public int EraseBlockSize { get; } = eraseBlockSize;

    public long StepsBeforeCut { get; } = stepsBeforeCut;

    /// <summary>Steps taken so far: erased blocks plus programmed bytes.</summary>
    public long Steps => _steps;

    /// <summary>Bits a write asked to set from 0 to 1 without an erase: real flash ignores them, and so does this.</summary>
    public long BitsNotSet { get; private set; }

    /// <summary>Blocks where programming does nothing (a worn or protected block); its bytes stay as they are.</summary>
    public HashSet<long> StuckBlocks { get; } = [];

    public async Task<byte[]> ReadAsync(long offset, int length, CancellationToken cancellationToken)
    {
        byte[] image = await File.ReadAllBytesAsync(file, cancellationToken);
        return image.AsSpan((int)offset, length).ToArray();
    }

    public async Task EraseAsync(long offset, long length, CancellationToken cancellationToken)
    {
        Assert.True(offset % EraseBlockSize == 0 && length % EraseBlockSize == 0, $"erase of {length} at {offset}: not whole blocks");
        byte[] image = await File.ReadAllBytesAsync(file, cancellationToken);
        try
        {
            for (long block = offset; block < offset + length; block += EraseBlockSize)
            {
                Step();
                image.AsSpan((int)block, EraseBlockSize).Fill(0xFF);
            }
        }
        finally
        {
            await File.WriteAllBytesAsync(file, image, cancellationToken);
        }
    }

    public async Task ProgramAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        byte[] image = await File.ReadAllBytesAsync(file, cancellationToken);
        try
        {
            for (int i = 0; i < data.Length; i++)
            {
                Step();
                long at = offset + i;
                if (StuckBlocks.Contains(at / EraseBlockSize * EraseBlockSize))
                {
                    continue;
                }

                byte old = image[at], wanted = data.Span[i];
                BitsNotSet += System.Numerics.BitOperations.PopCount((uint)(wanted & ~old & 0xFF));
                image[at] = (byte)(old & wanted);
            }
        }
        finally
        {
            await File.WriteAllBytesAsync(file, image, cancellationToken);
        }
    }

    public void Dispose()
    {
    }

    private void Step()
    {
        if (_steps >= StepsBeforeCut)
        {
            throw new PowerCutException();
        }

        _steps++;
    }
}
