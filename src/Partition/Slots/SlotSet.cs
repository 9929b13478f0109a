// SPDX-License-Identifier: Apache-2.0
namespace Partition.Slots;

/// <summary>
/// All configured slots, grouped by bootname. A "side" (A or B) is every slot that carries one bootname: an
/// install writes the side that is not booted, for each image class the bundle carries.
/// </summary>
public sealed class SlotSet
{
    public SlotSet(IReadOnlyList<Slot> slots)
    {
        ArgumentNullException.ThrowIfNull(slots);
        All = slots;
    }

    public IReadOnlyList<Slot> All { get; }

    public IReadOnlyList<string> Bootnames => All.Select(s => s.Bootname).Distinct(StringComparer.Ordinal).ToList();

    public IEnumerable<string> Classes => All.Select(s => s.Class).Distinct(StringComparer.Ordinal);

    public Slot? Find(string slotClass, string bootname) =>
        All.FirstOrDefault(s => s.Class == slotClass && s.Bootname == bootname);

    /// <summary>The one bootname that is not <paramref name="bootname"/>; the pair has exactly two.</summary>
    public string OtherBootname(string bootname)
    {
        var others = Bootnames.Where(b => b != bootname).ToList();
        if (others.Count != 1)
        {
            throw new InvalidOperationException(
                $"expected exactly two bootnames in the slot configuration, found {string.Join(", ", Bootnames)}");
        }
        return others[0];
    }
}
