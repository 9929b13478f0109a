// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.Grub;

/// <param name="EnvFile">The grubenv file dist/grub.cfg loads (beside it, e.g. /boot/efi/EFI/BOOT/grubenv).</param>
/// <param name="TrialTries">
/// Boots a trial gets before GRUB falls back, 1-9 (GRUB 2.06 cannot do arithmetic; grub.cfg counts with a
/// 0..9 table). The default 1 is RAUC's TRY semantics: one attempt, then the other slot.
/// </param>
public sealed record GrubOptions(string EnvFile, int TrialTries = GrubOptions.DefaultTrialTries)
{
    public const int DefaultTrialTries = 1;
    public const int MaxTrialTries = 9;
}
