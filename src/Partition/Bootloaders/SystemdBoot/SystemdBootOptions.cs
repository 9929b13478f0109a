// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.SystemdBoot;

/// <param name="Esp">The mounted EFI system partition (or XBOOTLDR) holding loader/entries/ (e.g. /efi, /boot).</param>
/// <param name="TrialTries">Boots a trial entry gets (its "+LEFT" counter) before systemd-boot sorts it last.</param>
/// <param name="EntryPrefix">The entries' names start with this and '-': PREFIX-GENERATION-SLOT[+LEFT[-DONE]].conf.</param>
/// <param name="EfiVariables">efivarfs, where systemd-boot leaves LoaderEntrySelected and LoaderBootCountPath.</param>
public sealed record SystemdBootOptions(
    string Esp,
    int TrialTries = SystemdBootOptions.DefaultTrialTries,
    string EntryPrefix = SystemdBootOptions.DefaultEntryPrefix,
    string EfiVariables = SystemdBootOptions.DefaultEfiVariables)
{
    public const int DefaultTrialTries = 3;
    public const int MaxTrialTries = 9;
    public const string DefaultEntryPrefix = "updater";
    public const string DefaultEfiVariables = "/sys/firmware/efi/efivars";

    /// <summary>Where the Type #1 entries live.</summary>
    public string EntriesDirectory => Path.Combine(Esp, "loader", "entries");

    /// <summary>loader.conf, whose `default` could pin one entry and defeat the order.</summary>
    public string LoaderConf => Path.Combine(Esp, "loader", "loader.conf");

    /// <summary>The committed security floor (systemd-boot has no environment to keep it in).</summary>
    public string SecurityFloorFile => Path.Combine(Esp, "loader", "updater-security-floor");
}
