// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.SystemdBoot;

/// <summary>
/// What systemd-boot (v252, src/boot/efi/boot.c) does with the updater's entries at power-on, in C#: it sorts them
/// (config_entry_compare: entries at +0 last, then by name in descending version order, which for PREFIX-GEN-SLOT
/// is the generation, then the slot letter), boots the first one when no default pins another
/// (config_default_entry_select), and before starting it renames a counted entry +LEFT-DONE to
/// +(LEFT-1)-(DONE+1), LEFT stopping at 0 (config_entry_bump_counters). An entry at +0 is still booted when every
/// entry is at +0: nothing is skipped, only sorted.
/// </summary>
public static class SystemdBootRule
{
    public static IReadOnlyList<SystemdBootEntryName> Sorted(IEnumerable<SystemdBootEntryName> entries) =>
        entries.OrderBy(e => e.Exhausted).ThenByDescending(e => e.Generation).ThenByDescending(e => e.Bootname, StringComparer.Ordinal).ToList();

    /// <summary>One power-on: the slot booted (null: no entry at all) and the entry's name afterwards.</summary>
    public static (string? Slot, SystemdBootEntryName? Before, SystemdBootEntryName? After) Decide(IEnumerable<SystemdBootEntryName> entries)
    {
        var first = Sorted(entries).FirstOrDefault();
        if (first is null)
        {
            return (null, null, null);
        }
        if (first.Committed)
        {
            return (first.Bootname, first, first);
        }
        var after = first with { Left = Math.Max(first.Left!.Value - 1, 0), Done = (int)Math.Min((long)(first.Done ?? 0) + 1, int.MaxValue) };
        return (first.Bootname, first, after);
    }

    /// <summary>
    /// The slot's state: committed (no counter), a trial with LEFT tries (+LEFT, LEFT &gt; 0), a trial whose tries ran
    /// out (+0-DONE, DONE &gt; 0: systemd-boot counted them, or systemd-bless-boot marked it bad), or marked bad by the
    /// updater (+0). Bootable exactly when systemd-boot would boot it if it came first and was not at +0.
    /// </summary>
    public static SlotBootState SlotState(SystemdBootEntryName entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry switch
        {
            { Left: null } => new SlotBootState(entry.Bootname, true, SlotBootState.Uncounted, false),
            { Left: > 0 and var left } => new SlotBootState(entry.Bootname, true, left, true),
            { Done: > 0 } => new SlotBootState(entry.Bootname, true, 0, true),
            _ => new SlotBootState(entry.Bootname, false, 0, false),
        };
    }
}
