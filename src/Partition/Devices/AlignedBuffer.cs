// SPDX-License-Identifier: Apache-2.0
using System.Buffers;
using System.Runtime.InteropServices;

namespace Partition.Devices;

/// <summary>
/// A native buffer aligned to <see cref="SlotDevice.DirectIoAlignment"/>, as O_DIRECT requires; managed arrays
/// carry no such guarantee. Exposed as <see cref="Memory{T}"/> so RandomAccess and hashing take it directly.
/// </summary>
public sealed unsafe class AlignedBuffer : MemoryManager<byte>
{
    private byte* _pointer;

    public AlignedBuffer(int capacity)
    {
        Capacity = (capacity + SlotDevice.DirectIoAlignment - 1) / SlotDevice.DirectIoAlignment * SlotDevice.DirectIoAlignment;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Capacity, SlotDevice.DirectIoAlignment);
    }

    public int Capacity { get; }

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        return new Span<byte>(_pointer, Capacity);
    }

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_pointer is not null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}
