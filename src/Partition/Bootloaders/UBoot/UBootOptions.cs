// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.UBoot;

/// <summary>Where the U-Boot environment lives, as in fw_env.config.</summary>
/// <param name="Device">Block device or regular file holding the environment (e.g. /dev/mmcblk0).</param>
/// <param name="Offset">Byte offset of the (first) copy.</param>
/// <param name="Size">Size of one copy in bytes (U-Boot's CONFIG_ENV_SIZE).</param>
/// <param name="RedundantOffset">
/// Byte offset of the second copy of a redundant environment (CONFIG_SYS_REDUNDAND_ENVIRONMENT), or null for a
/// single copy. A single copy cannot be overwritten atomically in place, so it is only accepted as a whole
/// regular file (offset 0, file size = <paramref name="Size"/>), which is replaced by rename.
/// </param>
/// <param name="TrialTries">Boots a trial gets before boot.cmd falls back, 1-9 (BOOT_x_LEFT; RAUC's default is 3).</param>
public sealed record UBootOptions(string Device, long Offset, int Size, long? RedundantOffset, int TrialTries = UBootOptions.DefaultTrialTries)
{
    public const int DefaultTrialTries = 3;

    /// <summary>boot.cmd decrements with setexpr, which reads and writes hex: single digits stay the same in both.</summary>
    public const int MaxTrialTries = 9;

    public bool Redundant => RedundantOffset is not null;
}
