// SPDX-License-Identifier: Apache-2.0
using Partition.Storage;

namespace Partition.Tests.Support;

/// <summary>
/// Crash injection for the torn-write tests: an environment write stops, as at a power cut, once
/// <see cref="BytesWritten"/> bytes of it have reached the disk, and nothing after that happens. A replacement
/// leaves its prefix in the production temporary (<see cref="AtomicFile.TemporaryPathFor"/>) and never renames it;
/// an in-place write leaves the prefix over the old bytes.
/// </summary>
internal sealed class PowerCutWriter(long bytesWritten) : DurableWriter
{
    public long BytesWritten { get; } = bytesWritten;

    public override async Task ReplaceAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await File.WriteAllBytesAsync(AtomicFile.TemporaryPathFor(path), content[..Allowed(content.Length)], cancellationToken);
        throw new PowerCutException();
    }

    public override async Task WriteAtAsync(string path, long offset, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await base.WriteAtAsync(path, offset, content[..Allowed(content.Length)], cancellationToken);
        throw new PowerCutException();
    }

    /// <summary>A rename is one step: with <see cref="BytesWritten"/> 0 the cut comes before it, else right after it.</summary>
    public override async Task RenameAsync(string from, string to, CancellationToken cancellationToken)
    {
        if (BytesWritten > 0)
        {
            await base.RenameAsync(from, to, cancellationToken);
        }
        throw new PowerCutException();
    }

    /// <summary>How many of <paramref name="length"/> bytes reach the disk before the cut.</summary>
    private int Allowed(int length) => (int)Math.Clamp(BytesWritten, 0, length);
}
