// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Text.RegularExpressions;

namespace Partition.Bootloaders.SystemdBoot;

/// <summary>
/// The name of one slot's Boot Loader Specification Type #1 entry, which is where all of the slot's boot state
/// lives: PREFIX-GENERATION-SLOT.conf (committed: systemd-boot does not count its boots), PREFIX-GENERATION-SLOT+LEFT[-DONE].conf
/// (a trial: systemd-boot renames it to +(LEFT-1)-(DONE+1) each time it boots it, and sorts it last at +0), and
/// PREFIX-GENERATION-SLOT+0.conf (marked bad by the updater; +0-DONE is a trial whose tries ran out, or
/// systemd-bless-boot's "bad"). systemd-boot orders entries that are not at +0 by their names, newest version
/// first, so the GENERATION number decides which slot boots first: an activation renames the slot's entry to
/// one more than the highest. Every change of state is thus one rename, as systemd-boot and systemd-bless-boot
/// make theirs.
/// </summary>
public sealed partial record SystemdBootEntryName(string Prefix, long Generation, string Bootname, int? Left, int? Done)
{
    /// <summary>Up to 9 digits: a generation grows by one per activation, and a name stays short on FAT.</summary>
    public const long MaxGeneration = 999_999_999;

    /// <summary>systemd-boot refuses counters above INT_MAX; the updater writes single digits.</summary>
    private const int MaxCounter = int.MaxValue;

    [GeneratedRegex(@"^(?<prefix>[a-z0-9_]{1,32})-(?<generation>[0-9]{1,9})-(?<slot>[a-z])(\+(?<left>[0-9]{1,10})(-(?<done>[0-9]{1,10}))?)?\.conf$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Grammar();

    /// <summary>A committed entry: not counted.</summary>
    public bool Committed => Left is null;

    /// <summary>At +0: systemd-boot sorts it after every other entry.</summary>
    public bool Exhausted => Left == 0;

    public string FileName =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}-{Generation}-{Bootname.ToLowerInvariant()}") +
        (Left is { } left ? string.Create(CultureInfo.InvariantCulture, $"+{left}") + (Done is { } done ? string.Create(CultureInfo.InvariantCulture, $"-{done}") : "") : "") +
        ".conf";

    /// <summary>
    /// The entry name of one of the updater's slots, or null when <paramref name="fileName"/> is another entry (not
    /// ours: another prefix, or not a name this grammar writes). A name of ours whose numbers are out of range is
    /// an error, not someone else's entry.
    /// </summary>
    /// <exception cref="BootEnvironmentException">The name has our prefix but a counter or generation out of range.</exception>
    public static SystemdBootEntryName? Parse(string fileName, string prefix, string directory)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        if (fileName.Length > 255 || !fileName.StartsWith(prefix + "-", StringComparison.Ordinal))
        {
            return null;
        }
        var match = Grammar().Match(fileName);
        if (!match.Success || match.Groups["prefix"].Value != prefix)
        {
            return null;
        }
        long generation = long.Parse(match.Groups["generation"].Value, NumberStyles.None, CultureInfo.InvariantCulture);
        int? left = Counter(match.Groups["left"], fileName, directory, "tries left");
        int? done = Counter(match.Groups["done"], fileName, directory, "tries done");
        var name = new SystemdBootEntryName(prefix, generation, match.Groups["slot"].Value.ToUpperInvariant(), left, done);
        if (name.FileName != fileName)
        {
            // Leading zeros: systemd-boot reads the numbers the same, but a rename from the name the updater would
            // write would miss this file (found by tests/fuzz).
            throw new BootEnvironmentException(Path.Combine(directory, fileName), null, $"has leading zeros; rename it to {name.FileName}, the form the updater writes");
        }
        return name;
    }

    private static int? Counter(Group group, string fileName, string directory, string what)
    {
        if (!group.Success)
        {
            return null;
        }
        if (!long.TryParse(group.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value > MaxCounter)
        {
            // systemd-boot would ignore such a counter and boot the entry uncounted, as if committed.
            throw new BootEnvironmentException(Path.Combine(directory, fileName), null, $"the {what} counter {group.Value} is above {MaxCounter}; systemd-boot would boot the entry uncounted");
        }
        return (int)value;
    }
}
