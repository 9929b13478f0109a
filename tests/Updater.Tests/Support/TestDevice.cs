using Updater.Device;
using Updater.Reboot;
using System.Security.Cryptography;
using Updater.Bundles;
using Updater.Config;
using Updater.Crypto;
using Updater.Install;

namespace Updater.Tests.Support;

/// <summary>
/// A device in a temp directory: regular files as slots A and B (A booted, fixed in update.conf), a state
/// directory, a keyring with one test key, and helpers to make signed bundles for it.
/// </summary>
internal sealed class TestDevice : IDisposable
{
    public const string Compatible = "test-board";

    public TestDevice(long slotSize = 8 << 20, string extraConfig = "")
    {
        Root = Directory.CreateTempSubdirectory("updater-test-").FullName;
        Directory.CreateDirectory(KeyringDir);
        Key = SigningKey.Generate();
        File.WriteAllBytes(Path.Combine(KeyringDir, "test.pub.pem"), Key.ExportPublicPem());
        var bootedContent = new byte[slotSize];
        new Random(7).NextBytes(bootedContent);
        File.WriteAllBytes(SlotA, bootedContent);
        File.WriteAllBytes(SlotB, new byte[slotSize]);
        File.WriteAllText(ConfigPath, $"""
            [system]
            compatible = {Compatible}
            bootloader = grub
            grub-env = {Path.Combine(Root, "grubenv")}
            state-dir = {StateDir}
            keyring = {KeyringDir}
            booted-slot = A
            direct-io = no

            [slot.rootfs.0]
            device = {SlotA}
            bootname = A

            [slot.rootfs.1]
            device = {SlotB}
            bootname = B
            {extraConfig}
            """);
        File.WriteAllText(MachineIdFile, "0123456789abcdef0123456789abcdef\n");
    }

    public string Root { get; }
    public string KeyringDir => Path.Combine(Root, "keyring");
    public string StateDir => Path.Combine(Root, "state");
    public string SlotA => Path.Combine(Root, "slotA.img");
    public string SlotB => Path.Combine(Root, "slotB.img");
    public string ConfigPath => Path.Combine(Root, "update.conf");
    public SigningKey Key { get; }
    public string MachineIdFile => Path.Combine(Root, "machine-id");

    /// <summary>Read from the file each time, so a test can add sections (e.g. [channel] once a server runs).</summary>
    public UpdaterConfig Config => UpdaterConfig.Load(ConfigPath);

    public void AppendConfig(string text) => File.AppendAllText(ConfigPath, "\n" + text + "\n");
    public FakeBootloader Bootloader { get; } = new();

    public string SlotAHash => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(SlotA)));

    /// <summary>The device as a command sees it, with the fake bootloader; update.conf is read again each time.</summary>
    public DeviceContext Device(IRebooter? rebooter = null, TimeProvider? time = null) => new(Config, Bootloader, rebooter: rebooter, time: time);

    public Installer NewInstaller(TimeProvider? time = null) => new(Device(time: time), time);

    /// <summary>A signed bundle of a deterministic pseudo-random image (part compressible, part not).</summary>
    public async Task<(string Path, byte[] Image)> MakeBundleAsync(string version, int imageSize = 3 << 20, int seed = 1, int chunkSize = 64 * 1024)
    {
        var image = new byte[imageSize];
        var random = new Random(seed);
        random.NextBytes(image.AsSpan(0, imageSize / 2));
        for (int i = imageSize / 2; i < imageSize; i++)
        {
            image[i] = (byte)(i / 4096 % 7);
        }
        string imagePath = Path.Combine(Root, $"image-{version}-{seed}.img");
        await File.WriteAllBytesAsync(imagePath, image);
        string bundlePath = Path.Combine(Root, $"bundle-{version}-{seed}.bundle");
        await new BundleWriter(new BundleCreateRequest
        {
            Images = [new BundleImageInput("rootfs", imagePath)],
            Compatible = Compatible,
            Version = version,
            SecurityVersion = 1,
            ChunkSize = chunkSize,
            Workers = 2,
            Created = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero),
        }, [Key]).WriteAsync(bundlePath, null, CancellationToken.None);
        return (bundlePath, image);
    }

    /// <summary>The first <paramref name="length"/> bytes of slot B, to compare with an image.</summary>
    public byte[] ReadSlotB(int length)
    {
        using var stream = File.OpenRead(SlotB);
        var buffer = new byte[length];
        stream.ReadExactly(buffer);
        return buffer;
    }

    public void Dispose()
    {
        Key.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
