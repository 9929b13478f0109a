// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.Grub;

/// <summary>grubenv as read: the block itself, so a write changes only the lines it must.</summary>
internal sealed record GrubEnvSnapshot(GrubEnvBlock Block) : EnvironmentSnapshot(Block.Variables);
