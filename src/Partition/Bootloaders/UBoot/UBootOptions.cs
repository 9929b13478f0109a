// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.UBoot;

/// <summary>Where the U-Boot environment lives, as in fw_env.config.</summary>
/// <param name="Device">Block device, NOR flash MTD device (/dev/mtdN) or regular file holding the environment (e.g. /dev/mmcblk0).</param>
/// <param name="Offset">Byte offset of the (first) copy.</param>
/// <param name="Size">Size of one copy in bytes (U-Boot's CONFIG_ENV_SIZE).</param>
/// <param name="RedundantOffset">
/// Byte offset of the second copy of a redundant environment (CONFIG_SYS_REDUNDAND_ENVIRONMENT), or null for a
/// single copy. A single copy cannot be overwritten atomically in place, so it is only accepted as a whole
/// regular file (offset 0, file size = <paramref name="Size"/>), which is replaced by rename, unless
/// <see cref="SingleCopyInPlace"/> accepts what a cut mid-write costs.
/// </param>
/// <param name="TrialTries">Boots a trial gets before boot.cmd falls back, 1-9 (BOOT_x_LEFT; RAUC's default is 3).</param>
public sealed record UBootOptions(string Device, long Offset, int Size, long? RedundantOffset, int TrialTries = UBootOptions.DefaultTrialTries)
{
    public const int DefaultTrialTries = 3;

    /// <summary>boot.cmd decrements with setexpr, which reads and writes hex: single digits stay the same in both.</summary>
    public const int MaxTrialTries = 9;

    /// <summary>The one value of uboot-env-single-copy: it names what a power cut during the write costs.</summary>
    public const string SingleCopyInPlaceValue = "accept-reset-on-power-cut";

    public bool Redundant => RedundantOffset is not null;

    /// <summary>
    /// A single copy inside a device or on flash is overwritten in place (on flash: erased, then written). A cut
    /// between the start of that and its end leaves no valid environment: U-Boot boots with its built-in one, which
    /// has no BOOT_ORDER, so boot.cmd saves its defaults and boots slot A, committed, whatever was on trial or marked bad.
    /// </summary>
    public bool SingleCopyInPlace { get; init; }
}
