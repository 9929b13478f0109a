// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.UBoot;

/// <summary>What one run of dist/boot.cmd does.</summary>
/// <param name="Slot">The slot it boots, or null when none is bootable (it stops at the U-Boot prompt).</param>
/// <param name="After">The environment as saved afterwards (unchanged when the script did not saveenv).</param>
/// <param name="Saved">Whether it ran saveenv.</param>
public sealed record UBootBootDecision(string? Slot, IReadOnlyDictionary<string, string> After, bool Saved);
