namespace Partition.Bootloaders;

/// <summary>
/// Crash injection for the torn-write tests: the environment write stops, as at a power cut, once
/// <see cref="BytesWritten"/> bytes of it have reached the disk, and nothing after that happens (no rename).
/// The production path never sets one.
/// </summary>
internal sealed class PowerCut(long bytesWritten)
{
    public long BytesWritten { get; } = bytesWritten;

    /// <summary>How many of <paramref name="length"/> bytes reach the disk before the cut.</summary>
    public int Allowed(int length) => (int)Math.Clamp(BytesWritten, 0, length);
}

/// <summary>Raised where a <see cref="PowerCut"/> stopped a write.</summary>
internal sealed class PowerCutException() : Exception("simulated power cut");
