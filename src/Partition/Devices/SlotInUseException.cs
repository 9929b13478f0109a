// SPDX-License-Identifier: Apache-2.0
namespace Partition.Devices;

/// <summary>A block device the kernel reports busy for an exclusive open: mounted, stacked under dm/md, or being written.</summary>
public sealed class SlotInUseException : IOException
{
    public SlotInUseException(string message)
        : base(message)
    {
    }
}
