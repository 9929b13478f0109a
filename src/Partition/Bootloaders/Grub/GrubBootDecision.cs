// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.Grub;

/// <summary>What one run of dist/grub.cfg does.</summary>
/// <param name="Slot">The slot it boots, or null when none is bootable (it stops at a menu for a person).</param>
/// <param name="Saved">The variables it writes back with save_env (empty on a committed boot).</param>
/// <param name="CountedTry">The try number it counted on a trial boot, else null.</param>
public sealed record GrubBootDecision(string? Slot, IReadOnlyDictionary<string, string> Saved, int? CountedTry);
