// SPDX-License-Identifier: Apache-2.0
using Partition.Slots;
using Updater.State;

namespace Updater.Device;

/// <summary>One slot of a side (<c>rootfs.0</c>) with what the state directory records of its content.</summary>
/// <param name="Record">The completed, verified install it holds; null when the updater did not write it (or is writing it).</param>
internal sealed record SideSlot(Slot Slot, SlotRecord? Record);
