// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using HealthCheck.Parsing;
using Partition.Bootloaders;
using Partition.Filesystems;
using Partition.Slots;

namespace Updater.Config;

/// <summary>
/// update.conf, parsed and checked as a whole before anything runs: whatever loads it gets a configuration the
/// bootloader backend accepts, or a <see cref="ConfigException"/> naming file, line and key. See the reference
/// update.conf at the top of the repository: every key is documented there. A record, so that a test or a caller
/// changes one setting with <c>with</c>.
/// </summary>
internal sealed record UpdaterConfig
{
    public const string DefaultPath = "/etc/updater/update.conf";

    public required string File { get; init; }

    /// <summary>The board/product string a bundle must carry exactly, like RAUC's compatible.</summary>
    public required string Compatible { get; init; }

    /// <summary>The backend's name, grub or uboot.</summary>
    public string Bootloader => BootloaderOptions.Backend;

    /// <summary>The backend and its grub-* / uboot-* keys of [system], checked by <see cref="BootloaderFactory"/> at load.</summary>
    public required BootloaderOptions BootloaderOptions { get; init; }

    public required string StateDirectory { get; init; }

    /// <summary>The signed root of trust the image ships (docs/trust.md): who may sign bundles, channels and the next root.</summary>
    public required string TrustRoot { get; init; }

    /// <summary>[system] image-info: the running image's own description and anti-rollback floor (docs/anti-rollback.md).</summary>
    public string ImageInfo { get; init; } = Image.ImageInfo.DefaultPath;

    /// <summary>"auto" (kernel command line, then the root device) or a fixed bootname.</summary>
    public required string BootedSlot { get; init; }

    /// <summary>Open block-device slots with O_DIRECT when writing.</summary>
    public required bool DirectIo { get; init; }

    public required SlotSet Slots { get; init; }

    /// <summary>[system] clock: "now" for expiry and waves from the device clock raised to signed times, or signed times alone.</summary>
    public Updater.Clock.ClockMode Clock { get; init; } = Updater.Clock.ClockMode.Wall;

    /// <summary>The [health] section; its defaults when the file has none.</summary>
    public HealthConfig Health { get; init; } = HealthConfig.Default;

    /// <summary>[channel]: updates from a signed channel (check, daemon); null when the section is absent.</summary>
    public ChannelConfig? Channel { get; init; }

    /// <summary>[hooks] and [hooks.CLASS]: programs run around an install (docs/hooks.md); none when absent.</summary>
    public HooksConfig Hooks { get; init; } = HooksConfig.None;

    private static readonly string[] SectionKinds = ["system", "slot.<class>.<index>", "health", "channel", "hooks", "hooks.<class>"];

    /// <exception cref="ConfigException">The file is missing, unreadable or not a valid configuration.</exception>
    public static UpdaterConfig Load(string path)
    {
        try
        {
            if (!System.IO.File.Exists(path))
            {
                throw new ConfigException($"{path}: no such file");
            }
            return FromDocument(Lex(() => IniDocument.Load(path)));
        }
        catch (IOException e)
        {
            throw new ConfigException($"{path}: cannot read: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ConfigException($"{path}: cannot read: {e.Message}");
        }
    }

    /// <param name="file">Named in errors, as if the text had been read from it.</param>
    /// <exception cref="ConfigException">The text is not a valid configuration.</exception>
    public static UpdaterConfig Parse(string text, string file) => FromDocument(Lex(() => IniDocument.Parse(text, file)));

    /// <summary>[channel], for the commands that need one: check, daemon, and the channel client.</summary>
    /// <exception cref="ConfigException">The file has no [channel] section.</exception>
    public ChannelConfig RequireChannel() =>
        Channel ?? throw new ConfigException($"{File}: no [channel] section: set [channel] url to use channels");

    // The shared lexer's errors in this program's exception type (exit 3).
    private static IniDocument Lex(Func<IniDocument> lex)
    {
        try
        {
            return lex();
        }
        catch (IniFormatException e)
        {
            throw new ConfigException(e.Message);
        }
    }

    private static UpdaterConfig FromDocument(IniDocument doc)
    {
        IniSection? system = null;
        var health = HealthConfig.Default;
        IniSection? channel = null;
        IniSection? hooks = null;
        var classHooks = new List<IniSection>();
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
            else if (section.Name == "hooks")
            {
                hooks = section;
            }
            else if (section.Name.StartsWith("hooks.", StringComparison.Ordinal))
            {
                classHooks.Add(section);
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
        var bootloader = ReadBootloader(reader);
        string stateDir = AbsolutePath(reader, "state-dir", "/var/lib/updater");
        if (reader.Entry("keyring") is { } keyring)
        {
            throw new ConfigException($"{keyring.Where}: key 'keyring' is gone: a flat keyring let any trusted key sign anything; name the signed root instead with trust-root = /etc/updater/root.json (docs/trust.md)");
        }
        string trustRoot = AbsolutePath(reader, "trust-root", "/etc/updater/root.json");
        string imageInfo = AbsolutePath(reader, "image-info", Image.ImageInfo.DefaultPath);
        string booted = reader.Optional("booted-slot", "auto");
        bool directIo = reader.Bool("direct-io", true);
        var clock = reader.OneOf("clock", "wall", "wall", "signed") == "signed" ? Updater.Clock.ClockMode.Signed : Updater.Clock.ClockMode.Wall;
        reader.RejectUnknown();

        CheckSlots(doc, slots);
        CheckBootnames(slots, bootloader.Backend);
        var set = new SlotSet(slots.Select(s => s.Slot).ToList());
        if (booted != "auto" && !set.Bootnames.Contains(booted))
        {
            throw new ConfigException($"{system.Entries.First(e => e.Key == "booted-slot").Where}: key 'booted-slot' is '{IniExcerpt.Of(booted)}', expected auto or one of the bootnames {string.Join(", ", set.Bootnames)}");
        }

        return new UpdaterConfig
        {
            File = doc.File,
            Compatible = compatible,
            BootloaderOptions = bootloader,
            StateDirectory = stateDir,
            TrustRoot = trustRoot,
            ImageInfo = imageInfo,
            BootedSlot = booted,
            DirectIo = directIo,
            Slots = set,
            Clock = clock,
            Health = health,
            Channel = channel is null ? null : ChannelConfig.Read(channel),
            Hooks = ReadHooks(hooks, classHooks, set),
        };
    }

    private static HooksConfig ReadHooks(IniSection? section, List<IniSection> classSections, SlotSet slots)
    {
        if (section is null && classSections.Count == 0)
        {
            return HooksConfig.None;
        }
        var install = section is null ? new HookPair() : HooksConfig.Read(section, HooksConfig.DefaultTimeout, allowMount: false);
        var byClass = new Dictionary<string, HookPair>(StringComparer.Ordinal);
        foreach (var classSection in classSections)
        {
            string slotClass = classSection.Name["hooks.".Length..];
            if (!slots.Classes.Contains(slotClass, StringComparer.Ordinal))
            {
                throw new ConfigException($"{classSection.File}:{classSection.Line}: section [{IniExcerpt.Of(classSection.Name)}] names slot class '{IniExcerpt.Of(slotClass)}', which no [slot.{IniExcerpt.Of(slotClass)}.N] section configures (classes: {string.Join(", ", slots.Classes)})");
            }
            byClass[slotClass] = HooksConfig.Read(classSection, install.Timeout, allowMount: true);
        }
        return new HooksConfig { Install = install, ByClass = byClass };
    }

    // The keys of every backend go to BootloaderFactory, which knows which belong to the chosen one and reports a
    // key of another backend or an unknown one; its errors name the key, and the entry gives file and line.
    private static BootloaderOptions ReadBootloader(SectionReader reader)
    {
        var backend = reader.Entry("bootloader");
        if (backend is null || backend.Value.Length == 0)
        {
            throw new ConfigException($"{backend?.Where ?? reader.Where}: [system] needs key 'bootloader' ({string.Join(" or ", BootloaderFactory.Backends)})");
        }
        var entries = BootloaderFactory.Backends.SelectMany(b => reader.WithPrefix(b + "-")).ToList();
        try
        {
            return BootloaderFactory.Options(backend.Value, entries.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal));
        }
        catch (BootloaderConfigurationException e)
        {
            var where = e.Key == "bootloader" ? backend.Where : entries.FirstOrDefault(k => k.Key == e.Key)?.Where ?? reader.Where;
            throw new ConfigException($"{where}: key '{e.Key}': {e.Problem}");
        }
    }

    // The backends boot only the slots their boot scripts know; another bootname would load and then fail at the
    // first bootloader write, after the install had started.
    private static void CheckBootnames(List<(Slot Slot, IniSection Section)> slots, string backend)
    {
        var bootable = BootloaderFactory.Bootnames(backend);
        foreach (var (slot, section) in slots)
        {
            if (!bootable.Contains(slot.Bootname, StringComparer.Ordinal))
            {
                var entry = section.Entries.First(e => e.Key == "bootname");
                throw new ConfigException($"{entry.Where}: key 'bootname' is '{SectionReader.Shown(entry)}', but bootloader {backend} boots only {string.Join(" and ", bootable)}");
            }
        }
    }

    private static string AbsolutePath(SectionReader reader, string key, string fallback)
    {
        string value = reader.Optional(key, fallback);
        if (!Path.IsPathRooted(value))
        {
            throw new ConfigException($"{reader.Entry(key)!.Where}: key '{key}' must be an absolute path, found '{IniExcerpt.Of(value)}'");
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
            throw new ConfigException($"{reader.Entry("device")!.Where}: key 'device' must be an absolute path, found '{IniExcerpt.Of(device)}'");
        }
        // Which bootnames are valid is the backend's to say: CheckBootnames, once [system] is read.
        string bootname = reader.Required("bootname");
        var type = SlotTypeWords.Parse(reader.OneOf("type", "raw", [.. SlotTypeWords.All]))!.Value;
        bool resize = reader.Bool("resize", false);
        if (resize && type != SlotType.Ext4)
        {
            throw new ConfigException($"{reader.Entry("resize")!.Where}: key 'resize' grows an ext4 filesystem to its slot, but [{section.Name}] has type {type.Word()} (set type = ext4, or drop resize)");
        }
        reader.RejectUnknown();
        return new Slot(parts[1], index, device, bootname) { Type = type, Resize = resize };
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
            // One image of the class goes to either side: both must take the same kind of image, the same way.
            var first = group.First();
            var other = group.FirstOrDefault(s => s.Slot.Type != first.Slot.Type || s.Slot.Resize != first.Slot.Resize);
            if (other.Section is not null)
            {
                throw new ConfigException($"{other.Section.File}:{other.Section.Line}: [{other.Section.Name}] has type {other.Slot.Type.Word()}{(other.Slot.Resize ? " with resize" : "")}, but [{first.Section.Name}] of the same class has type {first.Slot.Type.Word()}{(first.Slot.Resize ? " with resize" : "")}: both slots of a class take the same images");
            }
            var names = group.Select(s => s.Slot.Bootname).ToList();
            if (names.Count == 1 && bootnames.Count == 2)
            {
                // RAUC knows single slots (a bootloader, updated in place). Here every write goes to the side that
                // is not running, and a slot with no twin has no such side: writing it in place means a power cut
                // mid-write leaves nothing to boot or fall back to. Refused, with the ways out.
                throw new ConfigException($"{first.Section.File}:{first.Section.Line}: slot class '{group.Key}' has a single slot ([{first.Section.Name}]), and single slots are refused: an update writes only the side that is not running, and a slot with no twin would be overwritten in place, where a power cut during the write leaves nothing to fall back to. Give the class a slot for each of {string.Join(" and ", bootnames)}, or leave it out of update.conf and update it by other means (e.g. a [hooks] post-install, docs/hooks.md)");
            }
            if (names.Count != 2)
            {
                throw new ConfigException($"{first.Section.File}:{first.Section.Line}: slot class '{group.Key}' needs one slot for each of {string.Join(" and ", bootnames)}, found {names.Count}");
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
