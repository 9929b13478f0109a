// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;
using Partition.Bootloaders.Efi;
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.SystemdBoot;
using Partition.Bootloaders.UBoot;

namespace Updater.Explore;

/// <summary>
/// What the boot firmware does with the environment at power-on: GRUB's grub.cfg or U-Boot's boot.cmd, as their
/// rules in Partition model them (and tests check against the scripts). Reads and writes the environment the way
/// the bootloader does: GRUB rewrites its 1 KiB block in place, U-Boot's saveenv writes the next redundant copy.
/// </summary>
internal abstract class Firmware
{
    public abstract string Backend { get; }

    /// <summary>The variables as the firmware reads them now.</summary>
    public abstract IReadOnlyDictionary<string, string> Read();

    /// <summary>The variables as the firmware would read them from these file bytes.</summary>
    public abstract IReadOnlyDictionary<string, string> ReadFrom(byte[] file);

    /// <summary>The variables as the firmware would read them from a captured state (the environment file's bytes there).</summary>
    public virtual IReadOnlyDictionary<string, string> ReadFrom(DeviceSnapshot state, ExploreDevice device) =>
        ReadFrom(state.Read(Path.GetRelativePath(device.Root, device.EnvFile)));

    /// <summary>One power-on: the slot it boots (null: nothing bootable, a brick) and the variables it saves.</summary>
    public abstract (string? Slot, IReadOnlyDictionary<string, string> After, bool Saves) Decide(IReadOnlyDictionary<string, string> env);

    /// <summary>Whether the rule would boot <paramref name="slot"/> if it came first in the order.</summary>
    public abstract bool Bootable(IReadOnlyDictionary<string, string> env, string slot);

    /// <summary>A committed slot: booted without counting a try.</summary>
    public abstract bool Committed(IReadOnlyDictionary<string, string> env, string slot);

    protected abstract void Save(IReadOnlyDictionary<string, string> variables);

    /// <summary>Sets variables as the firmware would save them (the self test's sabotage).</summary>
    public void Write(IReadOnlyDictionary<string, string> variables) => Save(variables);

    /// <summary>Powers on: decides, saves what the rule saves, returns the booted slot.</summary>
    public string? Boot()
    {
        var (slot, after, saves) = Decide(Read());
        if (saves)
        {
            Save(after);
        }
        return slot;
    }
}

internal sealed class GrubFirmware(string envFile) : Firmware
{
    public override string Backend => "grub";

    public override IReadOnlyDictionary<string, string> Read() => ReadFrom(File.ReadAllBytes(envFile));

    public override IReadOnlyDictionary<string, string> ReadFrom(byte[] file) => GrubEnvBlock.Parse(file, envFile).Variables;

    public override (string? Slot, IReadOnlyDictionary<string, string> After, bool Saves) Decide(IReadOnlyDictionary<string, string> env)
    {
        var decision = GrubBootRule.Decide(env);
        var after = new Dictionary<string, string>(env, StringComparer.Ordinal);
        foreach (var (name, value) in decision.Saved)
        {
            after[name] = value;
        }
        return (decision.Slot, after, decision.Saved.Count > 0);
    }

    public override bool Bootable(IReadOnlyDictionary<string, string> env, string slot) => GrubBootRule.SlotState(env, slot).Bootable;

    public override bool Committed(IReadOnlyDictionary<string, string> env, string slot) =>
        GrubBootRule.SlotState(env, slot) is { Bootable: true, Trial: false };

    protected override void Save(IReadOnlyDictionary<string, string> variables)
    {
        // save_env: the same block, rewritten in place with the changed values.
        var block = GrubEnvBlock.Parse(File.ReadAllBytes(envFile), envFile);
        foreach (var (name, value) in variables)
        {
            block.Set(name, value);
        }
        using var stream = new FileStream(envFile, FileMode.Open, FileAccess.Write);
        stream.Write(block.Encode(envFile));
    }

    public static void Provision(string envFile) => File.WriteAllBytes(envFile, GrubEnvBlock.CreateEmpty().Encode(envFile));
}

internal sealed class UBootFirmware(UBootOptions options) : Firmware
{
    private readonly UBootEnvStore _store = new(options);

    public override string Backend => "uboot";

    public override IReadOnlyDictionary<string, string> Read() => _store.ReadAsync(CancellationToken.None).GetAwaiter().GetResult().Variables;

    public override IReadOnlyDictionary<string, string> ReadFrom(byte[] file)
    {
        var first = UBootEnvCopy.Decode(file.AsSpan((int)options.Offset, options.Size), true, options.Device, options.Offset);
        var second = UBootEnvCopy.Decode(file.AsSpan((int)options.RedundantOffset!.Value, options.Size), true, options.Device, options.RedundantOffset.Value);
        int current = UBootEnvStore.CurrentCopy(first, second);
        return current switch
        {
            0 => first.Variables!,
            1 => second.Variables!,
            _ => throw new Partition.Bootloaders.BootEnvironmentException(options.Device, null, "neither copy has a matching CRC-32"),
        };
    }

    public override (string? Slot, IReadOnlyDictionary<string, string> After, bool Saves) Decide(IReadOnlyDictionary<string, string> env)
    {
        var decision = UBootBootRule.Decide(env);
        return (decision.Slot, decision.After, decision.Saved);
    }

    public override bool Bootable(IReadOnlyDictionary<string, string> env, string slot) => UBootBootRule.SlotState(env, slot).Bootable;

    public override bool Committed(IReadOnlyDictionary<string, string> env, string slot) =>
        UBootBootRule.SlotState(env, slot) is { Bootable: true, Trial: false };

    protected override void Save(IReadOnlyDictionary<string, string> variables)
    {
        var current = _store.ReadAsync(CancellationToken.None).GetAwaiter().GetResult();
        _store.WriteAsync(current, variables, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>A board's first environment, as `mkenvimage -r` leaves it: copy one valid (flag 1), copy two blank.</summary>
    public static void Provision(UBootOptions options)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal) { ["bootcmd"] = "run distro_bootcmd" };
        byte[] first = UBootEnvCopy.Encode(variables, options.Size, 1, options.Device);
        var file = new byte[(options.RedundantOffset ?? 0) + options.Size];
        first.CopyTo(file, (int)options.Offset);
        File.WriteAllBytes(options.Device, file);
    }
}

/// <summary>
/// systemd-boot: the "variables" are the slots' entry names in loader/entries/ (A=updater-1-a.conf), which it
/// sorts, boots the first of, and renames when counted (<see cref="SystemdBootRule"/>); a save is that rename.
/// </summary>
internal sealed class SystemdBootFirmware(string entries) : Firmware
{
    private const string Prefix = SystemdBootOptions.DefaultEntryPrefix;

    public override string Backend => "systemd-boot";

    public override IReadOnlyDictionary<string, string> Read() => Variables(Directory.GetFiles(entries).Select(Path.GetFileName)!);

    public override IReadOnlyDictionary<string, string> ReadFrom(byte[] file) => throw new NotSupportedException("systemd-boot keeps its state in file names");

    public override IReadOnlyDictionary<string, string> ReadFrom(DeviceSnapshot state, ExploreDevice device)
    {
        string directory = Path.GetRelativePath(device.Root, entries);
        return Variables(state.Files.Where(f => Path.GetDirectoryName(f.Path) == directory).Select(f => Path.GetFileName(f.Path)));
    }

    private IReadOnlyDictionary<string, string> Variables(IEnumerable<string> names)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            if (SystemdBootEntryName.Parse(name, Prefix, entries) is { } entry)
            {
                // Two names for one slot would be a torn rename; the backend refuses those, the firmware boots one.
                variables[entry.Bootname] = variables.TryGetValue(entry.Bootname, out var other) ? other + " " + name : name;
            }
        }
        return variables;
    }

    private List<SystemdBootEntryName> Entries(IReadOnlyDictionary<string, string> env) =>
        env.Values.SelectMany(v => v.Split(' ')).Select(n => SystemdBootEntryName.Parse(n, Prefix, entries)!).ToList();

    public override (string? Slot, IReadOnlyDictionary<string, string> After, bool Saves) Decide(IReadOnlyDictionary<string, string> env)
    {
        var (slot, before, after) = SystemdBootRule.Decide(Entries(env));
        if (slot is null || before == after)
        {
            return (slot, env, false);
        }
        var next = new Dictionary<string, string>(env, StringComparer.Ordinal) { [slot] = env[slot].Replace(before!.FileName, after!.FileName, StringComparison.Ordinal) };
        return (slot, next, true);
    }

    public override bool Bootable(IReadOnlyDictionary<string, string> env, string slot) =>
        env.TryGetValue(slot, out var names) && names.Split(' ').Any(n => SystemdBootRule.SlotState(SystemdBootEntryName.Parse(n, Prefix, entries)!).Bootable);

    public override bool Committed(IReadOnlyDictionary<string, string> env, string slot) =>
        env.TryGetValue(slot, out var names) && names.Split(' ').Any(n => SystemdBootEntryName.Parse(n, Prefix, entries)!.Committed);

    /// <summary>Renames every entry whose name differs, as systemd-boot's SetInfo does for the one it boots.</summary>
    protected override void Save(IReadOnlyDictionary<string, string> variables)
    {
        var current = Read();
        foreach (var (slot, name) in variables)
        {
            if (current.TryGetValue(slot, out var old) && old != name)
            {
                File.Move(Path.Combine(entries, old), Path.Combine(entries, name));
            }
        }
    }

    /// <summary>The ESP an integrator provisions: an entry per slot and the kernels they name; A committed, B never written.</summary>
    public static void Provision(string esp)
    {
        Directory.CreateDirectory(Path.Combine(esp, "loader", "entries"));
        foreach (var (slot, name) in new[] { ("a", "updater-1-a.conf"), ("b", "updater-0-b+0.conf") })
        {
            Directory.CreateDirectory(Path.Combine(esp, slot));
            File.WriteAllText(Path.Combine(esp, slot, "vmlinuz"), "kernel");
            File.WriteAllText(Path.Combine(esp, "loader", "entries", name), $"title Explore ({slot})\nlinux /{slot}/vmlinuz\noptions updater.slot={slot.ToUpperInvariant()}\n");
        }
    }
}

/// <summary>
/// UEFI firmware's boot manager: the "variables" are BootOrder, BootNext, BootCurrent and the backend's
/// UpdaterTrial marker as efivarfs shows them in efivars/; at power-on it deletes BootNext, boots that option or
/// else BootOrder's first (<see cref="EfiBootRule"/>), and sets BootCurrent. Boot0000 is a firmware shell that is
/// no slot: booting it is a brick as far as the updater is concerned.
/// </summary>
internal sealed class EfiFirmware(string efivars) : Firmware
{
    public const ushort Shell = 0, BootA = 1, BootB = 2;

    public override string Backend => "efi";

    private static string Name(string variable) => $"{variable}-{EfiVariable.GlobalVendor}";

    private static readonly string Marker = $"UpdaterTrial-{EfiVariable.UpdaterVendor}";

    public override IReadOnlyDictionary<string, string> Read() =>
        Variables(Directory.GetFiles(efivars).Select(p => (Path.GetFileName(p), File.ReadAllBytes(p))));

    public override IReadOnlyDictionary<string, string> ReadFrom(byte[] file) => throw new NotSupportedException("the firmware keeps one file per variable");

    public override IReadOnlyDictionary<string, string> ReadFrom(DeviceSnapshot state, ExploreDevice device)
    {
        string directory = Path.GetRelativePath(device.Root, efivars);
        return Variables(state.Files.Where(f => Path.GetDirectoryName(f.Path) == directory).Select(f => (Path.GetFileName(f.Path), state.Read(f.Path))));
    }

    private static Dictionary<string, string> Variables(IEnumerable<(string Name, byte[] Bytes)> files)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, bytes) in files)
        {
            if (name == Name("BootOrder"))
            {
                variables["BootOrder"] = EfiBootNumbers.FormatOrder(EfiBootNumbers.ParseOrder(bytes, name));
            }
            else if (name == Name("BootNext") || name == Name("BootCurrent"))
            {
                variables[name[..name.IndexOf('-', StringComparison.Ordinal)]] = EfiBootNumbers.Format(EfiBootNumbers.ParseOne(bytes, name));
            }
            else if (name == Marker)
            {
                variables["UpdaterTrial"] = EfiVariable.Decode(bytes, name);
            }
        }
        return variables;
    }

    private static IReadOnlyList<ushort> Order(IReadOnlyDictionary<string, string> env) =>
        env.TryGetValue("BootOrder", out var text) && text.Length > 0 ? text.Split(',').Select(n => EfiBootNumbers.TryParse(n)!.Value).ToList() : [];

    private static ushort? Next(IReadOnlyDictionary<string, string> env) =>
        env.TryGetValue("BootNext", out var text) ? EfiBootNumbers.TryParse(text) : null;

    private static ushort BootOf(string slot) => slot == "A" ? BootA : BootB;

    public override (string? Slot, IReadOnlyDictionary<string, string> After, bool Saves) Decide(IReadOnlyDictionary<string, string> env)
    {
        ushort? booted = EfiBootRule.Decide(Next(env), Order(env), n => n is Shell or BootA or BootB);
        var after = new Dictionary<string, string>(env, StringComparer.Ordinal);
        after.Remove("BootNext");
        if (booted is { } b)
        {
            after["BootCurrent"] = EfiBootNumbers.Format(b);
        }
        bool saves = !after.OrderBy(v => v.Key, StringComparer.Ordinal).SequenceEqual(env.OrderBy(v => v.Key, StringComparer.Ordinal));
        return (booted switch { BootA => "A", BootB => "B", _ => null }, after, saves);
    }

    private static SlotBootState State(IReadOnlyDictionary<string, string> env, string slot) =>
        EfiBootRule.SlotState(slot, BootOf(slot), Order(env), Next(env), env.GetValueOrDefault("UpdaterTrial"));

    public override bool Bootable(IReadOnlyDictionary<string, string> env, string slot) => State(env, slot).Bootable;

    public override bool Committed(IReadOnlyDictionary<string, string> env, string slot) => State(env, slot) is { Bootable: true, Trial: false };

    /// <summary>What the boot manager itself writes: BootNext deleted, BootCurrent set (the self test may set more).</summary>
    protected override void Save(IReadOnlyDictionary<string, string> variables)
    {
        foreach (string variable in new[] { "BootNext", "BootCurrent", "BootOrder" })
        {
            string path = Path.Combine(efivars, Name(variable));
            if (!variables.TryGetValue(variable, out var text))
            {
                if (variable == "BootNext")
                {
                    File.Delete(path);
                }
                continue;
            }
            var numbers = text.Length == 0 ? [] : text.Split(',').Select(n => EfiBootNumbers.TryParse(n)!.Value).ToArray();
            File.WriteAllBytes(path, [7, 0, 0, 0, .. EfiBootNumbers.EncodeOrder(numbers)]);
        }
        if (variables.TryGetValue("UpdaterTrial", out var marker))
        {
            File.WriteAllBytes(Path.Combine(efivars, Marker), EfiVariable.Encode(marker, EfiVariable.NonVolatileAttributes));
        }
    }

    /// <summary>The NVRAM an integrator provisions: a firmware shell and one option per slot; A committed first, B never written.</summary>
    public static void Provision(string efivars)
    {
        Directory.CreateDirectory(efivars);
        foreach (var (number, description) in new[] { (Shell, "UEFI Shell"), (BootA, "updater A"), (BootB, "updater B") })
        {
            File.WriteAllBytes(Path.Combine(efivars, Name("Boot" + EfiBootNumbers.Format(number))), EfiLoadOption.Encode(description, $"\\EFI\\{description[^1]}\\grubx64.efi"));
        }
        File.WriteAllBytes(Path.Combine(efivars, Name("BootOrder")), [7, 0, 0, 0, .. EfiBootNumbers.EncodeOrder([BootA, Shell])]);
        File.WriteAllBytes(Path.Combine(efivars, Name("BootCurrent")), [7, 0, 0, 0, .. EfiBootNumbers.EncodeOne(BootA)]);
    }
}
