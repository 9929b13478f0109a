// SPDX-License-Identifier: Apache-2.0
namespace Updater.Device;

/// <summary>What an operator's mark or rollback changed (`updater rollback|mark-good|mark-bad --json`).</summary>
/// <param name="NextBoot">The side the bootloader boots next after the change, by its own rule.</param>
internal sealed record SlotChange(SlotAction Action, string Bootname, string? NextBoot);
