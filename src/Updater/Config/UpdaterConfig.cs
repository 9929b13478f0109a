using System.Globalization;
using Partition.Slots;

namespace Updater.Config;

/// <summary>
/// update.conf, parsed and checked as a whole before anything runs. See the reference update.conf at the
/// top of the repository: every key is documented there.
/// </summary>
internal sealed record UpdaterConfig
{
    public const string DefaultPath = "/etc/updater/update.conf";

    public required string File { get; init; }

    /// <summary>The board/product string a bundle must carry exactly, like RAUC's compatible.</summary>
    public required string Compatible { get; init; }

    /// <summary>grub or uboot.</summary>
    public required string Bootloader { get; init; }

    /// <summary>Raw grub-* / uboot-* keys of [system], handed to the bootloader backend which checks them.</summary>
    public required IReadOnlyList<IniEntry> BootloaderKeys { get; init; }

    public required string StateDirectory { get; init; }

    public required string Keyring { get; init; }

    /// <summary>"auto" (kernel command line, then the root device) or a fixed bootname.</summary>
    public required string BootedSlot { get; init; }

    /// <summary>Open block-device slots with O_DIRECT when writing.</summary>
    public required bool DirectIo { get; init; }

    public required SlotSet Slots { get; init; }

    /// <summary>The [health] section; its defaults when the file has none.</summary>
    public HealthConfig Health { get; init; } = HealthConfig.Default;

    /// <summary>[channel]: updates from a signed channel (check, daemon); null when the section is absent.</summary>
    public ChannelConfig? Channel { get; init; }

    /// <summary>[channel], or the one error that says a channel command needs it.</summary>
    public ChannelConfig RequireChannel() =>
        Channel ?? throw new ConfigException($"{File}: no [channel] section: set [channel] url to use channels");

    private static readonly string[] SectionKinds = ["system", "slot.<class>.<index>", "health", "channel"];

    public static UpdaterConfig Load(string path) => FromDocument(IniDocument.Load(path));

    public static UpdaterConfig Parse(string text, string file) => FromDocument(IniDocument.Parse(text, file));

    private static UpdaterConfig FromDocument(IniDocument doc)
    {
        IniSection? system = null;
        var health = HealthConfig.Default;
        IniSection? channel = null;
        var slots = new List<(Slot Slot, IniSection Section)>();
        foreach (var section in doc.Sections)
        {
            if (section.Name == "system")
            {
                system = section;
            }
            else if (section.Name == "channel")
            {
                channel = section;
            }
            else if (section.Name.StartsWith("slot.", StringComparison.Ordinal))
            {
                slots.Add((ReadSlot(section), section));
            }
            else if (section.Name == "health")
            {
                health = HealthConfig.Read(section);
            }
            else
            {
                throw new ConfigException($"{section.File}:{section.Line}: unknown section [{section.Name}] (known: {string.Join(", ", SectionKinds.Select(k => $"[{k}]"))})");
            }
        }
        if (system is null)
        {
            throw new ConfigException($"{doc.File}: no [system] section");
        }

        var reader = new SectionReader(system);
        string compatible = reader.Required("compatible");
        string bootloader = reader.OneOf("bootloader", "", "grub", "uboot");
        if (bootloader.Length == 0)
        {
            throw new ConfigException($"{reader.Where}: [system] needs key 'bootloader' (grub or uboot)");
        }
        var bootloaderKeys = reader.WithPrefix(bootloader + "-");
        var otherPrefix = bootloader == "grub" ? "uboot-" : "grub-";
        if (reader.WithPrefix(otherPrefix) is { Count: > 0 } stray)
        {
            throw new ConfigException($"{stray[0].Where}: key '{stray[0].Key}' belongs to another bootloader than '{bootloader}'");
        }
        string stateDir = AbsolutePath(reader, "state-dir", "/var/lib/updater");
        string keyring = AbsolutePath(reader, "keyring", "/etc/updater/keyring");
        string booted = reader.Optional("booted-slot", "auto");
        bool directIo = reader.Bool("direct-io", true);
        reader.RejectUnknown();

        CheckSlots(doc, slots);
        var set = new SlotSet(slots.Select(s => s.Slot).ToList());
        if (booted != "auto" && !set.Bootnames.Contains(booted))
        {
            throw new ConfigException($"{system.Entries.First(e => e.Key == "booted-slot").Where}: key 'booted-slot' is '{booted}', expected auto or one of the bootnames {string.Join(", ", set.Bootnames)}");
        }

        return new UpdaterConfig
        {
            File = doc.File,
            Compatible = compatible,
            Bootloader = bootloader,
            BootloaderKeys = bootloaderKeys,
            StateDirectory = stateDir,
            Keyring = keyring,
            BootedSlot = booted,
            DirectIo = directIo,
            Slots = set,
            Health = health,
            Channel = channel is null ? null : ChannelConfig.Read(channel, keyring),
        };
    }

    private static string AbsolutePath(SectionReader reader, string key, string fallback)
    {
        string value = reader.Optional(key, fallback);
        if (!Path.IsPathRooted(value))
        {
            throw new ConfigException($"{reader.Entry(key)!.Where}: key '{key}' must be an absolute path, found '{value}'");
        }
        return value;
    }

    private static Slot ReadSlot(IniSection section)
    {
        string[] parts = section.Name.Split('.');
        if (parts.Length != 3 || parts[1].Length == 0 || !IsName(parts[1]) ||
            !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index > 15)
        {
            throw new ConfigException($"{section.File}:{section.Line}: malformed slot section [{section.Name}] (expected [slot.<class>.<index>], e.g. [slot.rootfs.0])");
        }
        var reader = new SectionReader(section);
        string device = reader.Required("device");
        if (!Path.IsPathRooted(device))
        {
            throw new ConfigException($"{reader.Entry("device")!.Where}: key 'device' must be an absolute path, found '{device}'");
        }
        string bootname = reader.Required("bootname");
        if (!IsName(bootname))
        {
            throw new ConfigException($"{reader.Entry("bootname")!.Where}: key 'bootname' is '{bootname}', expected letters, digits, '-' or '_'");
        }
        reader.RejectUnknown();
        return new Slot(parts[1], index, device, bootname);
    }

    private static void CheckSlots(IniDocument doc, List<(Slot Slot, IniSection Section)> slots)
    {
        if (slots.Count == 0)
        {
            throw new ConfigException($"{doc.File}: no [slot.<class>.<index>] sections: nothing to update");
        }
        foreach (var group in slots.GroupBy(s => s.Slot.Class))
        {
            var dup = group.GroupBy(s => s.Slot.Bootname).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null)
            {
                var second = dup.Skip(1).First().Section;
                throw new ConfigException($"{second.File}:{second.Line}: slot class '{group.Key}' has two slots with bootname '{dup.Key}'");
            }
        }
        var bootnames = slots.Select(s => s.Slot.Bootname).Distinct(StringComparer.Ordinal).ToList();
        if (bootnames.Count != 2)
        {
            throw new ConfigException($"{doc.File}: slots must use exactly two bootnames (an A/B pair), found {string.Join(", ", bootnames)}");
        }
        foreach (var group in slots.GroupBy(s => s.Slot.Class))
        {
            var names = group.Select(s => s.Slot.Bootname).ToList();
            if (names.Count != 2)
            {
                var first = group.First().Section;
                throw new ConfigException($"{first.File}:{first.Line}: slot class '{group.Key}' needs one slot for each of {string.Join(" and ", bootnames)}, found {names.Count}");
            }
        }
        var sameDevice = slots.GroupBy(s => s.Slot.Device, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (sameDevice is not null)
        {
            var second = sameDevice.Skip(1).First().Section;
            throw new ConfigException($"{second.File}:{second.Line}: device '{sameDevice.Key}' is used by two slots");
        }
    }

    private static bool IsName(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_');
}
