// SPDX-License-Identifier: Apache-2.0
namespace Partition.Slots;

/// <summary>
/// One slot of an A/B pair as update.conf names it: <c>[slot.rootfs.0]</c> is class "rootfs", index 0.
/// <paramref name="Device"/> is a block device or a regular file; <paramref name="Bootname"/> is how the
/// bootloader script calls the slot ("A", "B").
/// </summary>
public sealed record Slot(string Class, int Index, string Device, string Bootname)
{
    /// <summary>"rootfs.0": the name used in messages, the state directory and the CLI.</summary>
    public string Name => $"{Class}.{Index}";

    /// <summary>What the slot holds (update.conf's type): an image for it must be that filesystem.</summary>
    public Filesystems.SlotType Type { get; init; } = Filesystems.SlotType.Raw;

    /// <summary>update.conf's resize: grow an ext4 image to the whole slot after writing it.</summary>
    public bool Resize { get; init; }
}
