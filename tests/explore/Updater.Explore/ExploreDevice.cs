// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.UBoot;
using Updater.Cli;

namespace Updater.Explore;

/// <summary>
/// One device of one backend: two file-backed slots, the bootloader environment and the state directory under
/// <see cref="Root"/> (the only place power cuts reach), and beside it what the device does not write: update.conf,
/// the trust root, the health check, the running image's image-info, the bundles and the channel.
/// </summary>
internal sealed class ExploreDevice
{
    public const int ChunkSize = 4096;
    public const int ImageSize = 3 * ChunkSize;
    private const int SlotSize = 4 * ChunkSize;
    public const string Board = "explore-board";

    /// <summary>The images the slots may hold, by name: v1 is the factory image on A.</summary>
    private readonly Dictionary<string, string> _imageNames = new(StringComparer.Ordinal);

    public ExploreDevice(string backend, string root, string fixedDirectory, string repository)
    {
        Backend = backend;
        Root = root;
        Fixed = fixedDirectory;
        Repository = repository;
        Directory.CreateDirectory(Fixed);
        EnvFile = Path.Combine(Root, backend switch { "grub" => "grubenv", "uboot" => "uboot.env", "efi" => "efivars", _ => "esp/loader/entries" });
        UBoot = new UBootOptions(EnvFile, 0, 0x4000, 0x4000);
        Firmware = backend switch
        {
            "grub" => new GrubFirmware(EnvFile),
            "uboot" => new UBootFirmware(UBoot),
            "systemd-boot" => new SystemdBootFirmware(EnvFile),
            "efi" => new EfiFirmware(EnvFile),
            _ => throw new ArgumentException($"no backend {backend}: grub, uboot, systemd-boot or efi", nameof(backend)),
        };
    }

    public string Backend { get; }

    public string Root { get; }

    public string Fixed { get; }

    public string Repository { get; }

    public string EnvFile { get; }

    private UBootOptions UBoot { get; }

    public Firmware Firmware { get; }

    public string ConfigPath => Path.Combine(Fixed, "update.conf");

    public string SlotA => Path.Combine(Root, "slot-a.img");

    public string SlotB => Path.Combine(Root, "slot-b.img");

    public string SlotPath(string bootname) => bootname == "A" ? SlotA : SlotB;

    public string Bundle(string name) => Path.Combine(Fixed, name + ".upd");

    private string HealthDirectory => Path.Combine(Fixed, "health.d");

    public string RebootMarker => Path.Combine(Fixed, "reboot-requested");

    private string ImageInfoPath => Path.Combine(Fixed, "image-info");

    private string Key => Path.Combine(Repository, "fixtures", "keys", "TEST-ONLY-DO-NOT-SHIP.key");

    /// <summary>Makes the images, bundles, channel and config, and the factory state: A holds v1, B never written.</summary>
    public async Task ProvisionAsync()
    {
        // A fresh device: nothing of an earlier backend's run in this process may leak into the factory state.
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(HealthDirectory);
        File.Copy(Path.Combine(Repository, "fixtures", "keys", "TEST-ONLY-DO-NOT-SHIP.root.json"), Path.Combine(Fixed, "root.json"), overwrite: true);
        foreach (var (version, seed) in new[] { ("v1", 1), ("v2", 2), ("v3", 3) })
        {
            var image = new byte[ImageSize];
            new Random(seed).NextBytes(image);
            string path = Path.Combine(Fixed, version + ".img");
            File.WriteAllBytes(path, image);
            _imageNames[Hash(image)] = version;
        }
        await CreateBundleAsync("v2", "2.0.0", Board);
        await CreateBundleAsync("v3", "3.0.0", Board);
        await CreateBundleAsync("wrong-board", "3.0.0", "other-board", image: "v3");
        await CreateBundleAsync("v3-copy", "3.0.0", Board, image: "v3");
        // tampered: one bit of the signature envelope flipped (refused before anything is written);
        // corrupt: one bit of the last chunk's stored bytes flipped (signature good, refused mid-write).
        byte[] bundle = File.ReadAllBytes(Bundle("v3-copy"));
        var header = Updater.Bundles.BundleHeader.Parse(bundle, bundle.LongLength, "v3");
        byte[] tampered = (byte[])bundle.Clone();
        tampered[header.SignatureOffset + (header.SignatureLength / 2)] ^= 0x01;
        File.WriteAllBytes(Bundle("tampered"), tampered);
        byte[] corrupt = (byte[])bundle.Clone();
        corrupt[^2] ^= 0x01;
        File.WriteAllBytes(Bundle("corrupt"), corrupt);
        File.Delete(Bundle("v3-copy"));
        await CliAsync("channel", "create", "-o", Path.Combine(Fixed, "channel.json"), "--channel", "stable", "--channel-version", "1",
            "--issued", "2026-11-15T00:00:00Z", "--expires", "2125-01-01T00:00:00Z", "--compatible", Board, "--release", "2.0.0",
            "--bundle-url", "v2.upd", "--bundle", Bundle("v2"), "--halt", "-k", Key);
        File.WriteAllText(ConfigPath, $"""
            [system]
            compatible = {Board}
            bootloader = {Backend}
            {Backend switch
            {
                "grub" => $"grub-env = {EnvFile}",
                "uboot" => $"uboot-env = {EnvFile}\nuboot-env-size = 0x4000\nuboot-env-redundant-offset = 0x4000",
                "efi" => $"efi-boot-a = 0001\nefi-boot-b = 0002\nefi-efivars = {EnvFile}",
                _ => $"systemd-boot-esp = {Path.Combine(Root, "esp")}\nsystemd-boot-efivars = {Path.Combine(Fixed, "efivars")}",
            }}
            state-dir = {Path.Combine(Root, "state")}
            trust-root = {Path.Combine(Fixed, "root.json")}
            image-info = {ImageInfoPath}
            direct-io = no

            [slot.rootfs.0]
            device = {SlotA}
            bootname = A

            [slot.rootfs.1]
            device = {SlotB}
            bootname = B

            [health]
            checks-dir = {HealthDirectory}
            reboot-command = /usr/bin/touch {RebootMarker}

            [channel]
            url = {Path.Combine(Fixed, "channel.json")}
            name = stable
            """.Replace("\n            ", "\n", StringComparison.Ordinal));

        File.WriteAllBytes(SlotA, Pad(File.ReadAllBytes(Path.Combine(Fixed, "v1.img")), 0x00));
        File.WriteAllBytes(SlotB, Pad([], 0x5a));
        if (Backend == "grub")
        {
            GrubFirmware.Provision(EnvFile);
        }
        else if (Backend == "uboot")
        {
            UBootFirmware.Provision(UBoot);
        }
        else if (Backend == "efi")
        {
            EfiFirmware.Provision(EnvFile);
        }
        else
        {
            SystemdBootFirmware.Provision(Path.Combine(Root, "esp"));
        }
    }

    private static byte[] Pad(byte[] image, byte fill)
    {
        var slot = new byte[SlotSize];
        Array.Fill(slot, fill);
        image.CopyTo(slot, 0);
        return slot;
    }

    private async Task CreateBundleAsync(string name, string version, string board, string? image = null) =>
        await CliAsync("bundle", "create", $"rootfs={Path.Combine(Fixed, (image ?? name) + ".img")}", "-o", Bundle(name), "--compatible", board,
            "--version", version, "--security-version", "1", "--chunk-size", ChunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--created", "2026-11-01T00:00:00Z", "-k", Key);

    private static async Task CliAsync(params string[] args)
    {
        var (code, output) = await RunCliAsync(args);
        if (code != 0)
        {
            throw new InvalidOperationException($"updater {string.Join(' ', args)}: exit {code}: {output}");
        }
    }

    /// <summary>The real command line, in-process: exit code and what it printed (stdout and stderr).</summary>
    public static async Task<(int Code, string Output)> RunCliAsync(params string[] args)
    {
        var output = new StringWriter();
        var (stdout, stderr) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(output);
        try
        {
            int code = await CliApp.RunAsync(args).ConfigureAwait(false);
            return (code, output.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    /// <summary>What the running image ships: image-info of the booted slot's content, and the health check of this step.</summary>
    public void PrepareRun(string bootedContent, bool checksPass)
    {
        string version = bootedContent switch { "v1" => "1.0.0", "v2" => "2.0.0", "v3" => "3.0.0", _ => "0.0.0" };
        File.WriteAllText(ImageInfoPath, $"[image]\nsecurity-version = 1\nversion = {version}\nbuilt = 2026-11-01T00:00:00Z\n");
        File.WriteAllText(Path.Combine(HealthDirectory, "explore.conf"), $"[check.explore]\ntype = command\ncommand = {(checksPass ? "/bin/true" : "/bin/false")}\n");
        File.Delete(RebootMarker);
    }

    /// <summary>The image a slot holds (v1, v2, v3), or "other" with a short hash for anything else.</summary>
    public string Content(string bootname) => ContentOf(File.ReadAllBytes(SlotPath(bootname)));

    public string ContentOf(byte[] slot) =>
        _imageNames.TryGetValue(Hash(slot.AsSpan(0, ImageSize)), out var name) ? name : "other:" + Hash(slot)[..12];

    public static bool IsImage(string content) => content is "v1" or "v2" or "v3";

    /// <summary>The state key of the files that have one beyond their bytes: slots by content, the environment by its variables.</summary>
    public string? Describe(string relative, byte[] bytes)
    {
        string full = Path.Combine(Root, relative);
        if (full == SlotA || full == SlotB)
        {
            return ContentOf(bytes);
        }
        if (full == EnvFile)
        {
            try
            {
                var variables = Firmware.ReadFrom(bytes);
                return string.Join(' ', variables.Where(v => v.Key != "bootcmd").OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"));
            }
            catch (Partition.Bootloaders.BootEnvironmentException e)
            {
                return "unreadable: " + e.Message;
            }
        }
        return null;
    }

    private static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    public static string Hash(byte[] bytes) => Hash(bytes.AsSpan());
}
