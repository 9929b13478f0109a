// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using Partition.Bootloaders.Efi;
using Partition.Storage;

namespace Partition.Bootloaders.SystemdBoot;

/// <summary>
/// The systemd-boot backend: each slot's state is the name of its Boot Loader Specification entry on the ESP
/// (<see cref="SystemdBootEntryName"/>), which systemd-boot itself counts down (<see cref="SystemdBootRule"/>).
/// A trial renames the slot's entry to a new, highest generation with +TRIES; a commit drops the counter, as
/// systemd-bless-boot does; a bad mark renames it to +0, which systemd-boot sorts last. Every change is one
/// rename in loader/entries/ followed by a flush of the directory. The entries' contents (title, linux, initrd,
/// options) are the integrator's and are never rewritten; the backend refuses a change that systemd-boot would
/// not follow (an entry whose kernel is missing, a pinned default, entries that differ in sort-key or version).
/// The committed security floor lives in loader/updater-security-floor, written before the rename that needs it:
/// a cut between the two leaves the floor raised to a version already verified, never lowered.
/// </summary>
public sealed class SystemdBootloader : EnvironmentBootloader
{
    private const string OrderName = "ORDER";

    private readonly DurableWriter _writer;

    public SystemdBootloader(SystemdBootOptions options)
        : this(options, DurableWriter.Instance)
    {
    }

    internal SystemdBootloader(SystemdBootOptions options, DurableWriter writer)
        : base((options ?? throw new ArgumentNullException(nameof(options))).TrialTries, SystemdBootOptions.MaxTrialTries)
    {
        Options = options;
        _writer = writer;
    }

    public override string Name => "systemd-boot";

    public SystemdBootOptions Options { get; }

    private protected override string EnvironmentPath => Options.EntriesDirectory;

    private protected override string BootScript => "systemd-boot";

    private protected override string OrderVariable => OrderName;

    /// <summary>The variable names of one slot in <see cref="BootState.Variables"/>.</summary>
    public static string EntryVariable(string bootname) => $"{bootname}_ENTRY";

    private static string Generation(string bootname) => $"{bootname}_GENERATION";

    private static string Left(string bootname) => $"{bootname}_LEFT";

    private static string Done(string bootname) => $"{bootname}_DONE";

    /// <summary>Set when systemd-boot would hide the slot's entry: why (<see cref="HiddenBecause"/>).</summary>
    private static string Hidden(string bootname) => $"{bootname}_HIDDEN";

    private protected override Task<EnvironmentSnapshot> ReadEnvironmentAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string directory = Options.EntriesDirectory;
        if (!Directory.Exists(directory))
        {
            throw new BootEnvironmentException(directory, null, "does not exist; is the ESP mounted? (systemd-boot-esp in update.conf)");
        }
        var found = new Dictionary<string, List<SystemdBootEntryName>>(StringComparer.Ordinal);
        var others = new List<string>();
        foreach (string path in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            string file = System.IO.Path.GetFileName(path);
            if (SystemdBootEntryName.Parse(file, Options.EntryPrefix, directory) is { } name)
            {
                if (!found.TryGetValue(name.Bootname, out var list))
                {
                    found[name.Bootname] = list = [];
                }
                list.Add(name);
            }
            else if (file.EndsWith(".conf", StringComparison.OrdinalIgnoreCase) && !file.StartsWith('.') && !file.StartsWith("auto-", StringComparison.Ordinal))
            {
                others.Add(file);
            }
        }

        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new Dictionary<string, (SystemdBootEntryName, BlsFile)>(StringComparer.Ordinal);
        foreach (string bootname in SupportedBootnames)
        {
            var names = found.GetValueOrDefault(bootname) ?? [];
            string expected = $"{Options.EntryPrefix}-N-{bootname.ToLowerInvariant()}[+LEFT[-DONE]].conf";
            if (names.Count == 0)
            {
                throw new BootEnvironmentException(directory, null, $"has no entry {expected} for slot {bootname}; create one for the slot (docs/bootloaders.md), e.g. {Options.EntryPrefix}-0-{bootname.ToLowerInvariant()}+0.conf for a slot never written");
            }
            if (names.Count > 1)
            {
                // Two names for one slot: an interrupted rename on FAT, or a copy. Which one systemd-boot boots
                // depends on both, so guessing would be wrong.
                throw new BootEnvironmentException(directory, null, $"has {names.Count} entries for slot {bootname} ({string.Join(", ", names.Select(n => n.FileName))}); remove all but one");
            }
            var name = names[0];
            string path = System.IO.Path.Combine(directory, name.FileName);
            entries[bootname] = (name, ReadBls(path));
            variables[EntryVariable(bootname)] = name.FileName;
            variables[Generation(bootname)] = name.Generation.ToString(CultureInfo.InvariantCulture);
            variables[Left(bootname)] = name.Left?.ToString(CultureInfo.InvariantCulture) ?? "";
            variables[Done(bootname)] = name.Done?.ToString(CultureInfo.InvariantCulture) ?? "";
            if (HiddenBecause(entries[bootname].Item2) is { } hidden)
            {
                variables[Hidden(bootname)] = hidden;
            }
        }
        variables[OrderName] = string.Join(' ', PreferenceOrder(entries.Values.Select(e => e.Item1)));
        if (others.Count > 0)
        {
            variables["other_entries"] = string.Join(' ', others.Select(n => string.Concat(n.Take(80).Select(c => char.IsControl(c) ? '?' : c))));
        }
        if (File.Exists(Options.SecurityFloorFile))
        {
            variables[SecurityFloorVariable.Name] = ReadFloor();
        }
        foreach (string efi in new[] { "LoaderEntrySelected", "LoaderBootCountPath", "LoaderEntryDefault", "LoaderEntryOneShot" })
        {
            // What systemd-boot left is shown, not trusted: one that does not decode is shown as such (and, for a
            // pinned default, refuses a change), but never stops the updater from reading its own entries.
            try
            {
                if (EfiVariable.ReadString(Options.EfiVariables, efi) is { } value)
                {
                    variables[efi] = value;
                }
            }
            catch (BootEnvironmentException e)
            {
                variables[efi] = "unreadable: " + e.Message;
            }
        }
        BlsFile? loaderConf = File.Exists(Options.LoaderConf) ? ReadBls(Options.LoaderConf) : null;
        if (loaderConf?.Last("default") is { } pinned)
        {
            variables["loader.conf default"] = pinned.Value;
        }
        return Task.FromResult<EnvironmentSnapshot>(new SystemdBootSnapshot(variables, entries, loaderConf));
    }

    /// <summary>Slots by generation, highest first: the order systemd-boot sorts them in while neither is at +0.</summary>
    private static IEnumerable<string> PreferenceOrder(IEnumerable<SystemdBootEntryName> names) =>
        names.OrderByDescending(n => n.Generation).ThenByDescending(n => n.Bootname, StringComparer.Ordinal).Select(n => n.Bootname);

    private static BlsFile ReadBls(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length > BlsFile.MaxSize)
            {
                throw new BootEnvironmentException(path, null, $"is {info.Length} bytes; a boot loader entry or loader.conf is at most {BlsFile.MaxSize}");
            }
            return BlsFile.Parse(File.ReadAllBytes(path), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BootEnvironmentException(path, "cannot be read", e);
        }
    }

    private string ReadFloor()
    {
        string path = Options.SecurityFloorFile;
        try
        {
            if (new FileInfo(path).Length > 64)
            {
                throw new BootEnvironmentException(path, null, "is longer than a security floor (a number)");
            }
            return EnvironmentBootloader.DecodeUtf8(File.ReadAllBytes(path), path, 0).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BootEnvironmentException(path, "cannot be read", e);
        }
    }

    private protected override async Task WriteEnvironmentAsync(EnvironmentSnapshot current, IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken)
    {
        var snapshot = (SystemdBootSnapshot)current;
        var names = SupportedBootnames.ToDictionary(b => b, b => snapshot.Entries[b].Name with
        {
            Generation = long.Parse(variables[Generation(b)], NumberStyles.None, CultureInfo.InvariantCulture),
            Left = Counter(variables[Left(b)]),
            Done = Counter(variables[Done(b)]),
        }, StringComparer.Ordinal);

        // An activation puts its slot first in ORDER: systemd-boot follows the generation, so the slot gets the next one.
        string first = SplitOrder(variables[OrderName])[0];
        if (PreferenceOrder(names.Values).First() != first)
        {
            long next = names.Values.Max(n => n.Generation) + 1;
            if (next > SystemdBootEntryName.MaxGeneration)
            {
                throw new BootEnvironmentException(Options.EntriesDirectory, null, $"the entries' generation would pass {SystemdBootEntryName.MaxGeneration}; renumber them (docs/bootloaders.md)");
            }
            names[first] = names[first] with { Generation = next };
        }

        var renames = SupportedBootnames.Where(b => names[b] != snapshot.Entries[b].Name).ToList();
        if (renames.Count > 1)
        {
            throw new InvalidOperationException($"one change renamed {renames.Count} entries; each change is one rename");
        }
        foreach (string bootname in renames)
        {
            if (SystemdBootRule.SlotState(names[bootname]).Bootable)
            {
                CheckSystemdBootFollows(snapshot, bootname);
            }
        }

        string? floor = variables.GetValueOrDefault(SecurityFloorVariable.Name);
        if (floor is not null && floor != snapshot.Variables.GetValueOrDefault(SecurityFloorVariable.Name))
        {
            await _writer.ReplaceAsync(Options.SecurityFloorFile, System.Text.Encoding.UTF8.GetBytes(floor + "\n"), cancellationToken).ConfigureAwait(false);
        }
        foreach (string bootname in renames)
        {
            string directory = Options.EntriesDirectory;
            await _writer.RenameAsync(System.IO.Path.Combine(directory, snapshot.Entries[bootname].Name.FileName), System.IO.Path.Combine(directory, names[bootname].FileName), cancellationToken).ConfigureAwait(false);
        }
    }

    private static int? Counter(string text) => text.Length == 0 ? null : int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>
    /// Refuses to make a slot bootable when systemd-boot would not boot it by the updater's order: its entry names no
    /// kernel that exists (systemd-boot hides such an entry), the entries differ in what systemd-boot sorts by
    /// before the name, or a default pins one entry.
    /// </summary>
    private void CheckSystemdBootFollows(SystemdBootSnapshot snapshot, string bootname)
    {
        var entry = snapshot.Entries[bootname].Entry;
        if (HiddenBecause(entry) is { } hidden)
        {
            throw new BootEnvironmentException(entry.Path, null, hidden);
        }
        string other = SupportedBootnames.First(b => b != bootname);
        foreach (string key in new[] { "sort-key", "machine-id", "version" })
        {
            string? mine = entry.Last(key)?.Value, theirs = snapshot.Entries[other].Entry.Last(key)?.Value;
            if (mine != theirs)
            {
                throw new BootEnvironmentException(entry.Path, null, $"'{key}' is {Shown(mine)} here but {Shown(theirs)} in {snapshot.Entries[other].Name.FileName}; systemd-boot sorts by it before the name, so the slot order would not hold");
            }
        }
        string wildcard = Options.EntryPrefix + "-*";
        foreach (var (source, value) in new[] { ("EFI variable LoaderEntryDefault", snapshot.Variables.GetValueOrDefault("LoaderEntryDefault")), ($"{Options.LoaderConf}: line {snapshot.LoaderConf?.Last("default")?.Line}: default", snapshot.LoaderConf?.Last("default")?.Value) })
        {
            if (!string.IsNullOrEmpty(value) && !string.Equals(value, wildcard, StringComparison.OrdinalIgnoreCase))
            {
                throw new BootEnvironmentException(Options.EntriesDirectory, null, $"{source} is {Shown(value)}, which pins one entry: systemd-boot would not follow the slot order; remove it or make it '{wildcard}' (`bootctl set-default ''` clears the EFI variable)");
            }
        }
    }

    /// <summary>
    /// Why systemd-boot would not show <paramref name="entry"/> (no kernel line, or a kernel that is not on the ESP), or
    /// null when it would. An entry emptied by a cut, or a kernel not copied to the ESP, reads this way.
    /// </summary>
    private string? HiddenBecause(BlsFile entry)
    {
        var loader = entry.Last("linux") ?? entry.Last("efi");
        if (loader is null)
        {
            return "has no 'linux' or 'efi' line; systemd-boot shows no such entry";
        }
        string relative = loader.Value.Value.Replace('\\', '/').TrimStart('/');
        if (relative.Split('/').Contains("..") || !File.Exists(System.IO.Path.Combine(Options.Esp, relative)))
        {
            return $"line {loader.Value.Line}: {loader.Value.Value} is not on the ESP ({Options.Esp}); systemd-boot would not show the entry";
        }
        return null;
    }

    private protected override IReadOnlyList<string> Problems(IReadOnlyDictionary<string, string> variables) =>
        SupportedBootnames.Where(b => variables.ContainsKey(Hidden(b)))
            .Select(b => $"slot {b}'s entry {Options.EntriesDirectory}/{variables[EntryVariable(b)]} {variables[Hidden(b)]}: systemd-boot will not boot slot {b} whatever its name says; restore the entry (docs/bootloaders.md) or install into the slot again")
            .ToList();

    private static string Shown(string? value) => value is null ? "unset" : $"'{string.Concat(value.Take(80).Select(c => char.IsControl(c) ? '?' : c))}'";

    /// <summary>
    /// LoaderEntrySelected is the id systemd-boot booted: the entry's file name, lower-cased, before this boot's
    /// rename (updater-2-b+3.conf). Null when it is not one of the updater's entries or not set.
    /// </summary>
    private protected override string? ReportedBoot(IReadOnlyDictionary<string, string> variables)
    {
        if (!variables.TryGetValue("LoaderEntrySelected", out var id))
        {
            return null;
        }
        try
        {
            return SystemdBootEntryName.Parse(id, Options.EntryPrefix, Options.EntriesDirectory)?.Bootname;
        }
        catch (BootEnvironmentException)
        {
            return null;
        }
    }

    private protected override Dictionary<string, string> Effective(IReadOnlyDictionary<string, string> variables) =>
        new(variables, StringComparer.Ordinal);

    private protected override SlotBootState SlotState(IReadOnlyDictionary<string, string> variables, string bootname) =>
        SystemdBootRule.SlotState(new SystemdBootEntryName("", 0, bootname, Counter(variables[Left(bootname)]), Counter(variables[Done(bootname)])));

    private protected override void SetSlot(Dictionary<string, string> env, string bootname, SlotMark mark)
    {
        env[Left(bootname)] = mark switch
        {
            SlotMark.Committed => "",
            SlotMark.Trial => TrialTries.ToString(CultureInfo.InvariantCulture),
            _ => "0",
        };
        env[Done(bootname)] = "";
    }
}
