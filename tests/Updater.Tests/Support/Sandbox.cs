using System.Security.Cryptography;
using Partition.Booted;
using Partition.Bootloaders;
using Updater.Bundles;
using Updater.Config;
using Updater.Crypto;
using Updater.Device;
using Updater.Install;
using Updater.Reboot;
using Updater.Transport;

namespace Updater.Tests.Support;

/// <summary>
/// A throw-away device: a temp directory with a signing key, a keyring, two file-backed slots (A booted,
/// B inactive) filled with known bytes, a state directory and an update.conf pointing at all of it.
/// </summary>
internal sealed class Sandbox : IDisposable
{
    public const string Compatible = "test-board";

    public Sandbox(long slotSize = 4 << 20, string? slotA = null, string? slotB = null)
    {
        Root = Directory.CreateTempSubdirectory("updater-test-").FullName;
        Directory.CreateDirectory(Keyring);
        using (var key = SigningKey.Generate())
        {
            File.WriteAllBytes(KeyPath, key.ExportPrivatePem());
            File.WriteAllBytes(System.IO.Path.Combine(Keyring, "dev.pub.pem"), key.ExportPublicPem());
        }
        SlotA = slotA ?? Path("slot-a.img");
        SlotB = slotB ?? Path("slot-b.img");
        if (slotA is null)
        {
            File.WriteAllBytes(SlotA, Pattern(slotSize, 0xA5));
        }
        if (slotB is null)
        {
            File.WriteAllBytes(SlotB, Pattern(slotSize, 0x5B));
        }
        ConfigPath = Path("update.conf");
        File.WriteAllText(ConfigPath, ConfigText());
        // A fresh GRUB environment, made by the real tool: both backends' tests read it with grub-editenv too.
        LoopDevice.Run("grub-editenv", GrubEnv, "create");
    }

    public string Root { get; }
    public string Keyring => Path("keyring");
    public string KeyPath => Path("dev.key");
    public string StateDir => Path("state");
    public string SlotA { get; }
    public string SlotB { get; }
    public string ConfigPath { get; }
    public string GrubEnv => Path("grubenv");

    public string Path(string name) => System.IO.Path.Combine(Root, name);

    public string UBootEnv => Path("uboot.env");

    /// <summary>[system] lines that select the backend: GRUB with its grubenv, or U-Boot with a single-copy environment file.</summary>
    public string BootloaderLines(string backend) => backend == "uboot"
        ? $"bootloader = uboot\nuboot-env = {UBootEnv}\nuboot-env-size = 0x4000"
        : $"bootloader = grub\ngrub-env = {GrubEnv}";

    public string ConfigText(string extraSystem = "", string backend = "grub") => $"""
        [system]
        compatible = {Compatible}
        {BootloaderLines(backend).Replace("\n", "\n        ", StringComparison.Ordinal)}
        state-dir = {StateDir}
        keyring = {Keyring}
        booted-slot = A
        {extraSystem}

        [slot.rootfs.0]
        device = {SlotA}
        bootname = A

        [slot.rootfs.1]
        device = {SlotB}
        bootname = B
        """;

    public UpdaterConfig Config() => UpdaterConfig.Load(ConfigPath);

    /// <summary>An image of mixed content: compressible text-like runs and incompressible random runs.</summary>
    public string MakeImage(string name, long size, int seed)
    {
        var bytes = new byte[size];
        var random = new Random(seed);
        for (long offset = 0; offset < size; offset += 8192)
        {
            var block = bytes.AsSpan((int)offset, (int)Math.Min(8192, size - offset));
            if (random.Next(3) == 0)
            {
                random.NextBytes(block);
            }
            else
            {
                byte fill = (byte)random.Next(256);
                for (int i = 0; i < block.Length; i++)
                {
                    block[i] = (byte)(fill + (i % 61 == 0 ? i : 0));
                }
            }
        }
        string path = Path(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public async Task<string> MakeBundleAsync(string name, string image, string version = "2.0.0", long securityVersion = 0,
        string compatible = Compatible, int chunkSize = 64 * 1024, bool allowDowngrade = false, string? keyPath = null)
    {
        using var key = SigningKey.Load(keyPath ?? KeyPath);
        string path = Path(name);
        await new BundleWriter(new BundleCreateRequest
        {
            Images = [new BundleImageInput("rootfs", image)],
            Compatible = compatible,
            Version = version,
            SecurityVersion = securityVersion,
            ChunkSize = chunkSize,
            AllowDowngrade = allowDowngrade,
        }, [key]).WriteAsync(path, null, CancellationToken.None);
        return path;
    }

    /// <summary>The device as a command sees it, with <paramref name="bootloader"/> and no kernel command line.</summary>
    public DeviceContext Device(IBootloader bootloader, IRebooter? rebooter = null) =>
        new(Config(), bootloader, rebooter: rebooter, detector: new BootedSlotDetector(Config().Slots, Path("no-cmdline")));

    public Installer Installer(IBootloader bootloader) => new(Device(bootloader));

    public async Task<InstallResult> InstallAsync(string bundle, FakeBootloader bootloader, InstallOptions? options = null)
    {
        await using var source = FileBundleSource.Open(bundle);
        return await Installer(bootloader).InstallAsync(source, options ?? new InstallOptions(), null, CancellationToken.None);
    }

    public static string Sha256Of(string path, long length = -1)
    {
        using var stream = File.OpenRead(path);
        if (length < 0)
        {
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        var buffer = new byte[length];
        stream.ReadExactly(buffer);
        return Convert.ToHexStringLower(SHA256.HashData(buffer));
    }

    public static byte[] Pattern(long size, byte seed)
    {
        var bytes = new byte[size];
        for (long i = 0; i < size; i++)
        {
            bytes[i] = (byte)(seed ^ (i * 31 >> 7));
        }
        return bytes;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
