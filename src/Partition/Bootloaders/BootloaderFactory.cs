// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using Partition.Bootloaders.Efi;
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.SystemdBoot;
using Partition.Bootloaders.UBoot;

namespace Partition.Bootloaders;

/// <summary>
/// Checks a backend's keys into <see cref="BootloaderOptions"/> and builds the backend from them. The keys are
/// those starting with the backend's name and '-' ("grub-env", "uboot-env-size"; docs/bootloaders.md lists
/// them). Any bad, missing or unknown key is a <see cref="BootloaderConfigurationException"/> naming it.
/// </summary>
public static class BootloaderFactory
{
    public const string GrubEnv = "grub-env";
    public const string GrubTrialTries = "grub-trial-tries";
    public const string UBootEnv = "uboot-env";
    public const string UBootEnvOffset = "uboot-env-offset";
    public const string UBootEnvSize = "uboot-env-size";
    public const string UBootEnvRedundantOffset = "uboot-env-redundant-offset";
    public const string UBootTrialTries = "uboot-trial-tries";
    public const string UBootEnvSingleCopy = "uboot-env-single-copy";
    public const string SystemdBootEsp = "systemd-boot-esp";
    public const string SystemdBootTrialTries = "systemd-boot-trial-tries";
    public const string SystemdBootEntryPrefix = "systemd-boot-entry-prefix";
    public const string SystemdBootEfiVariables = "systemd-boot-efivars";
    public const string EfiBootA = "efi-boot-a";
    public const string EfiBootB = "efi-boot-b";
    public const string EfiEfiVariables = "efi-efivars";

    /// <summary>Backend names accepted in `bootloader=`.</summary>
    public static IReadOnlyList<string> Backends { get; } = ["grub", "uboot", "systemd-boot", "efi"];

    private static readonly string[] GrubKeys = [GrubEnv, GrubTrialTries];
    private static readonly string[] UBootKeys = [UBootEnv, UBootEnvOffset, UBootEnvSize, UBootEnvRedundantOffset, UBootTrialTries, UBootEnvSingleCopy];
    private static readonly string[] SystemdBootKeys = [SystemdBootEsp, SystemdBootTrialTries, SystemdBootEntryPrefix, SystemdBootEfiVariables];
    private static readonly string[] EfiKeys = [EfiBootA, EfiBootB, EfiEfiVariables];

    /// <summary>Checks the keys of <paramref name="backend"/> and builds the backend.</summary>
    /// <exception cref="BootloaderConfigurationException">A key is bad, missing or unknown, or the backend is.</exception>
    public static IBootloader Create(string backend, IReadOnlyDictionary<string, string> keys) => Create(Options(backend, keys));

    /// <summary>Builds the backend from options <see cref="Options"/> has checked already.</summary>
    public static IBootloader Create(BootloaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options switch
        {
            { Grub: { } grub } => new GrubBootloader(grub),
            { UBoot: { } uboot } => new UBootBootloader(uboot),
            { SystemdBoot: { } systemdBoot } => new SystemdBootloader(systemdBoot),
            { Efi: { } efi } => new EfiBootloader(efi),
            _ => throw new ArgumentException($"no options for bootloader \"{options.Backend}\"", nameof(options)),
        };
    }

    /// <summary>Checks the keys of <paramref name="backend"/> (only those starting with a backend's name and '-').</summary>
    /// <exception cref="BootloaderConfigurationException">A key is bad, missing or unknown, or the backend is.</exception>
    public static BootloaderOptions Options(string backend, IReadOnlyDictionary<string, string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return backend switch
        {
            "grub" => BootloaderOptions.For(GrubOptionsFrom(keys)),
            "uboot" => BootloaderOptions.For(UBootOptionsFrom(keys)),
            "systemd-boot" => BootloaderOptions.For(SystemdBootOptionsFrom(keys)),
            "efi" => BootloaderOptions.For(EfiOptionsFrom(keys)),
            _ => throw UnknownBackend(backend),
        };
    }

    /// <summary>
    /// The bootnames a backend can boot: the slots its boot script (dist/grub.cfg, dist/boot.cmd) knows. A slot with
    /// another bootname could be configured but never marked, activated or booted.
    /// </summary>
    /// <exception cref="BootloaderConfigurationException">The backend is unknown.</exception>
    public static IReadOnlyList<string> Bootnames(string backend) => backend switch
    {
        "grub" or "uboot" or "systemd-boot" or "efi" => EnvironmentBootloader.SupportedBootnames,
        _ => throw UnknownBackend(backend),
    };

    private static BootloaderConfigurationException UnknownBackend(string backend) =>
        new("bootloader", $"unknown bootloader \"{Shown(backend)}\"; supported: {string.Join(", ", Backends)}");

    public static GrubOptions GrubOptionsFrom(IReadOnlyDictionary<string, string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        RejectUnknown(keys, GrubKeys, "grub");
        return new GrubOptions(
            RequiredPath(keys, GrubEnv),
            Tries(keys, GrubTrialTries, GrubOptions.DefaultTrialTries, GrubOptions.MaxTrialTries));
    }

    public static SystemdBootOptions SystemdBootOptionsFrom(IReadOnlyDictionary<string, string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        RejectUnknown(keys, SystemdBootKeys, "systemd-boot");
        string prefix = keys.GetValueOrDefault(SystemdBootEntryPrefix, SystemdBootOptions.DefaultEntryPrefix).Trim();
        if (prefix.Length is 0 or > 32 || !prefix.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
        {
            throw new BootloaderConfigurationException(SystemdBootEntryPrefix, $"\"{Shown(prefix)}\" is not 1-32 of a-z, 0-9 and _ (systemd-boot lower-cases entry ids; '-' separates the generation)");
        }
        return new SystemdBootOptions(
            RequiredPath(keys, SystemdBootEsp, "the mount point of the EFI system partition, e.g. /efi"),
            Tries(keys, SystemdBootTrialTries, SystemdBootOptions.DefaultTrialTries, SystemdBootOptions.MaxTrialTries),
            prefix,
            keys.ContainsKey(SystemdBootEfiVariables) ? RequiredPath(keys, SystemdBootEfiVariables, "the efivarfs mount, /sys/firmware/efi/efivars") : SystemdBootOptions.DefaultEfiVariables);
    }

    public static EfiOptions EfiOptionsFrom(IReadOnlyDictionary<string, string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        RejectUnknown(keys, EfiKeys, "efi");
        ushort a = BootNumber(keys, EfiBootA, "A"), b = BootNumber(keys, EfiBootB, "B");
        if (a == b)
        {
            throw new BootloaderConfigurationException(EfiBootB, $"Boot{EfiBootNumbers.Format(b)} is slot A's boot option too ({EfiBootA}); each slot needs its own");
        }
        return new EfiOptions(a, b,
            keys.ContainsKey(EfiEfiVariables) ? RequiredPath(keys, EfiEfiVariables, "the efivarfs mount, /sys/firmware/efi/efivars") : EfiOptions.DefaultEfiVariables);
    }

    private static ushort BootNumber(IReadOnlyDictionary<string, string> keys, string key, string slot)
    {
        if (!keys.TryGetValue(key, out var text) || string.IsNullOrWhiteSpace(text))
        {
            throw new BootloaderConfigurationException(key, $"missing; the number of slot {slot}'s firmware boot option, as efibootmgr lists it (Boot0001 or 0001)");
        }
        return EfiBootNumbers.TryParse(text.Trim())
            ?? throw new BootloaderConfigurationException(key, $"\"{Shown(text)}\" is not a boot option number: 1-4 hexadecimal digits, as in Boot0001 or 0001");
    }

    public static UBootOptions UBootOptionsFrom(IReadOnlyDictionary<string, string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        RejectUnknown(keys, UBootKeys, "uboot");
        string device = RequiredPath(keys, UBootEnv);

        long offset = keys.ContainsKey(UBootEnvOffset) ? Number(keys, UBootEnvOffset, 0, long.MaxValue) : 0;
        if (!keys.ContainsKey(UBootEnvSize))
        {
            throw new BootloaderConfigurationException(UBootEnvSize, "missing; the size of one environment copy (CONFIG_ENV_SIZE, e.g. 0x2000)");
        }

        bool redundant = keys.ContainsKey(UBootEnvRedundantOffset);
        int size = (int)Number(keys, UBootEnvSize, UBootEnvCopy.HeaderSize(redundant) + 2, 16 * 1024 * 1024);
        long? second = redundant ? Number(keys, UBootEnvRedundantOffset, 0, long.MaxValue) : null;
        if (second is { } s && Math.Abs(s - offset) < size)
        {
            throw new BootloaderConfigurationException(UBootEnvRedundantOffset,
                $"0x{s:x} overlaps the first copy at {UBootEnvOffset}=0x{offset:x} of {UBootEnvSize}=0x{size:x} bytes");
        }

        bool singleInPlace = false;
        if (keys.TryGetValue(UBootEnvSingleCopy, out var single))
        {
            if (single.Trim() != UBootOptions.SingleCopyInPlaceValue)
            {
                throw new BootloaderConfigurationException(UBootEnvSingleCopy,
                    $"\"{Shown(single)}\" is not {UBootOptions.SingleCopyInPlaceValue}, its only value: a single copy written in place is lost to a power cut mid-write, and U-Boot then boots its built-in environment (slot A, committed)");
            }

            if (redundant)
            {
                throw new BootloaderConfigurationException(UBootEnvSingleCopy,
                    $"is set, but so is {UBootEnvRedundantOffset}: a redundant environment has no single copy");
            }

            singleInPlace = true;
        }

        return new UBootOptions(device, offset, size, second,
            Tries(keys, UBootTrialTries, UBootOptions.DefaultTrialTries, UBootOptions.MaxTrialTries))
        { SingleCopyInPlace = singleInPlace };
    }

    // A value as an error may quote it: a settings file can hold anything, and a terminal acts on control
    // characters; a value longer than a real one is cut.
    private static string Shown(string value)
    {
        string printable = string.Concat(value.Take(80).Select(c => char.IsControl(c) ? '?' : c));
        return value.Length > 80 ? $"{printable}... ({value.Length} characters, cut)" : printable;
    }

    private static void RejectUnknown(IReadOnlyDictionary<string, string> keys, string[] known, string backend)
    {
        foreach (var key in keys.Keys)
        {
            if (known.Contains(key, StringComparer.Ordinal))
            {
                continue;
            }

            string? other = Backends.FirstOrDefault(b => b != backend && key.StartsWith(b + "-", StringComparison.Ordinal));
            bool belongsToOther = other is not null;
            throw new BootloaderConfigurationException(key, belongsToOther
                ? $"is a setting of bootloader={other}, but bootloader={backend}"
                : $"unknown key for bootloader={backend}; known: {string.Join(", ", known)}");
        }
    }

    private static string RequiredPath(IReadOnlyDictionary<string, string> keys, string key, string what = "the path of the environment file or device")
    {
        if (!keys.TryGetValue(key, out var value) || string.IsNullOrWhiteSpace(value))
        {
            throw new BootloaderConfigurationException(key, $"missing; {what}");
        }

        if (!value.StartsWith('/'))
        {
            throw new BootloaderConfigurationException(key, $"\"{Shown(value)}\" is not an absolute path");
        }

        return value;
    }

    private static int Tries(IReadOnlyDictionary<string, string> keys, string key, int fallback, int max) =>
        keys.ContainsKey(key) ? (int)Number(keys, key, 1, max) : fallback;

    /// <summary>A decimal or 0x-prefixed hexadecimal number within [min, max], as fw_env.config writes them.</summary>
    private static long Number(IReadOnlyDictionary<string, string> keys, string key, long min, long max)
    {
        string text = keys[key].Trim();
        bool parsed = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long value)
            : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!parsed)
        {
            throw new BootloaderConfigurationException(key, $"\"{Shown(keys[key])}\" is not a number (decimal, or hexadecimal with 0x)");
        }

        if (value < min || value > max)
        {
            throw new BootloaderConfigurationException(key, $"{Shown(text)} is out of range; it must be {min} to {max}");
        }

        return value;
    }
}
