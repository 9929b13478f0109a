// SPDX-License-Identifier: Apache-2.0
namespace Partition.Filesystems;

/// <summary>
/// What a slot holds, as update.conf's <c>type</c> key says (RAUC's slot type): raw bytes, or a filesystem the
/// updater recognizes in an image before writing it and can grow to the slot afterwards.
/// </summary>
public enum SlotType
{
    /// <summary>Any bytes; nothing is checked beyond the size.</summary>
    Raw,

    /// <summary>An ext2/3/4 filesystem (superblock at byte 1024, magic 0xEF53).</summary>
    Ext4,

    /// <summary>A FAT12/16/32 filesystem (boot sector with the 0x55AA signature).</summary>
    Vfat,
}

/// <summary>The words of update.conf's type key, one definition.</summary>
public static class SlotTypeWords
{
    public static readonly IReadOnlyList<string> All = ["raw", "ext4", "vfat"];

    public static string Word(this SlotType type) => type switch
    {
        SlotType.Ext4 => "ext4",
        SlotType.Vfat => "vfat",
        _ => "raw",
    };

    public static SlotType? Parse(string word) => word switch
    {
        "raw" => SlotType.Raw,
        "ext4" => SlotType.Ext4,
        "vfat" => SlotType.Vfat,
        _ => null,
    };
}
