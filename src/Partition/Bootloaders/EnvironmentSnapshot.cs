// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders;

/// <summary>
/// An environment as read. Backends derive from it to carry what writing the next version needs (a GRUB block's
/// line order and comments, which U-Boot copy is current and its flag).
/// </summary>
internal record EnvironmentSnapshot(IReadOnlyDictionary<string, string> Variables);
