// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders.Efi;
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.SystemdBoot;
using Partition.Bootloaders.UBoot;

namespace Partition.Bootloaders;

/// <summary>
/// A backend and its checked options: what <see cref="BootloaderFactory.Options"/> makes of the keys, so that a
/// host can check its configuration once, when it loads, and build the backend later without parsing again.
/// Exactly one of <see cref="Grub"/>, <see cref="UBoot"/>, <see cref="SystemdBoot"/> and <see cref="Efi"/> is set, the one <see cref="Backend"/> names.
/// </summary>
public sealed record BootloaderOptions
{
    private BootloaderOptions(string backend, GrubOptions? grub, UBootOptions? uboot, SystemdBootOptions? systemdBoot = null, EfiOptions? efi = null)
    {
        Efi = efi;
        Backend = backend;
        Grub = grub;
        UBoot = uboot;
        SystemdBoot = systemdBoot;
    }

    /// <summary>The backend's name: "grub", "uboot", "systemd-boot" or "efi".</summary>
    public string Backend { get; }

    public GrubOptions? Grub { get; }

    public UBootOptions? UBoot { get; }

    public SystemdBootOptions? SystemdBoot { get; }

    public EfiOptions? Efi { get; }

    public static BootloaderOptions For(GrubOptions grub) => new("grub", grub ?? throw new ArgumentNullException(nameof(grub)), null);

    public static BootloaderOptions For(UBootOptions uboot) => new("uboot", null, uboot ?? throw new ArgumentNullException(nameof(uboot)));

    public static BootloaderOptions For(SystemdBootOptions systemdBoot) => new("systemd-boot", null, null, systemdBoot ?? throw new ArgumentNullException(nameof(systemdBoot)));

    public static BootloaderOptions For(EfiOptions efi) => new("efi", null, null, null, efi ?? throw new ArgumentNullException(nameof(efi)));
}
