// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.UBoot;

namespace Partition.Bootloaders;

/// <summary>
/// A backend and its checked options: what <see cref="BootloaderFactory.Options"/> makes of the keys, so that a
/// host can check its configuration once, when it loads, and build the backend later without parsing again.
/// Exactly one of <see cref="Grub"/> and <see cref="UBoot"/> is set, the one <see cref="Backend"/> names.
/// </summary>
public sealed record BootloaderOptions
{
    private BootloaderOptions(string backend, GrubOptions? grub, UBootOptions? uboot)
    {
        Backend = backend;
        Grub = grub;
        UBoot = uboot;
    }

    /// <summary>The backend's name: "grub" or "uboot".</summary>
    public string Backend { get; }

    public GrubOptions? Grub { get; }

    public UBootOptions? UBoot { get; }

    public static BootloaderOptions For(GrubOptions grub) => new("grub", grub ?? throw new ArgumentNullException(nameof(grub)), null);

    public static BootloaderOptions For(UBootOptions uboot) => new("uboot", null, uboot ?? throw new ArgumentNullException(nameof(uboot)));
}
