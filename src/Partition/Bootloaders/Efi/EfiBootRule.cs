// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.Efi;

/// <summary>
/// What UEFI firmware does at power-on (UEFI 2.10, 3.1.2 and 3.3) with the variables the efi backend writes, and
/// what the backend makes of them. The boot manager deletes BootNext, then tries that option; if it is missing,
/// inactive or fails to start, and otherwise, it tries the options of BootOrder in turn, skipping inactive ones.
/// </summary>
public static class EfiBootRule
{
    /// <summary>One power-on: the option started (null: none in BootNext or BootOrder is there and active).</summary>
    /// <param name="starts">Whether an option is there, active and starts (its loader is on the ESP).</param>
    public static ushort? Decide(ushort? bootNext, IReadOnlyList<ushort> bootOrder, Func<ushort, bool> starts)
    {
        ArgumentNullException.ThrowIfNull(bootOrder);
        ArgumentNullException.ThrowIfNull(starts);
        if (bootNext is { } next && starts(next))
        {
            return next;
        }
        return bootOrder.Where(starts).Select(n => (ushort?)n).FirstOrDefault();
    }

    /// <summary>
    /// A slot's state: in BootOrder, committed (its boots are not counted); named by BootNext, a trial with its one
    /// boot to come; named by the trial marker alone, a trial whose boot is used (it is running, or the firmware
    /// fell back from it); none of these, bad: the firmware never picks it.
    /// </summary>
    public static SlotBootState SlotState(string bootname, ushort boot, IReadOnlyList<ushort> bootOrder, ushort? bootNext, string? trialMarker)
    {
        ArgumentNullException.ThrowIfNull(bootOrder);
        if (bootOrder.Contains(boot))
        {
            return new SlotBootState(bootname, true, SlotBootState.Uncounted, false);
        }
        if (bootNext == boot)
        {
            return new SlotBootState(bootname, true, EfiOptions.TrialTries, true);
        }
        return trialMarker == bootname
            ? new SlotBootState(bootname, true, 0, true)
            : new SlotBootState(bootname, false, 0, false);
    }
}
