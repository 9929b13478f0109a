// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders;

/// <summary>What a change makes of a slot, in the terms every boot script shares.</summary>
internal enum SlotMark
{
    /// <summary>Good, its boots not counted: a mark-good, or a permanent activation.</summary>
    Committed,

    /// <summary>Good, with the configured number of tries: the bootloader falls back when they are used up.</summary>
    Trial,

    /// <summary>Never picked by the bootloader.</summary>
    Bad,
}
