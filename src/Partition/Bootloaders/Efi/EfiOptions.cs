// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.Efi;

/// <param name="BootA">The firmware boot option (Boot####) that starts slot A.</param>
/// <param name="BootB">The one that starts slot B.</param>
/// <param name="EfiVariables">efivarfs, or a directory of variable files in its format (tests, EFIVARFS_PATH).</param>
public sealed record EfiOptions(ushort BootA, ushort BootB, string EfiVariables = EfiOptions.DefaultEfiVariables)
{
    public const string DefaultEfiVariables = "/sys/firmware/efi/efivars";

    /// <summary>BootNext is one boot: the firmware deletes it before it starts the entry.</summary>
    public const int TrialTries = 1;

    public ushort BootOf(string bootname) => bootname switch
    {
        "A" => BootA,
        "B" => BootB,
        _ => throw new ArgumentException($"no slot \"{bootname}\"", nameof(bootname)),
    };

    public string GlobalPath(string name) => EfiVariable.PathOf(EfiVariables, name, EfiVariable.GlobalVendor);

    public string BootEntryPath(ushort number) => GlobalPath("Boot" + EfiBootNumbers.Format(number));

    /// <summary>The slot whose trial the firmware was last told to boot through BootNext (see <see cref="EfiBootloader"/>).</summary>
    public string TrialMarkerPath => EfiVariable.PathOf(EfiVariables, "UpdaterTrial", EfiVariable.UpdaterVendor);

    /// <summary>The committed security floor: the firmware has no environment to keep it in.</summary>
    public string SecurityFloorPath => EfiVariable.PathOf(EfiVariables, "UpdaterSecurityFloor", EfiVariable.UpdaterVendor);
}
