// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using Partition.Booted;
using Partition.Bootloaders;
using Updater.Bundles;
using Updater.Config;
using Updater.Crypto;
using Updater.Device;
using Updater.Events;
using Updater.Install;
using Updater.Reboot;
using Updater.Transport;

namespace Updater.Tests.Support;

/// <summary>
/// The one throw-away device of the Updater tests: a temp directory with two file-backed slots (A booted,
/// fixed in update.conf; B inactive), each filled with a known pattern; a state directory; a trust root naming
/// the test-only fixture key for every role; a fresh grubenv made by grub-editenv; an update.conf from the reference
/// template in fixtures/config; and helpers to make signed bundles for it and to run its commands.
/// </summary>
internal sealed class TestDevice : IDisposable
{
    public const string Compatible = "test-board";

    /// <summary>The slots' fill bytes, so a test knows what an untouched slot holds (<see cref="Pattern"/>).</summary>
    public const byte SlotAFill = 0xA5, SlotBFill = 0x5B;

    private readonly TempDirectory _directory = new();

    /// <param name="slotSize">Size of each file slot.</param>
    /// <param name="slotA">An existing device to use as slot A instead of a file (e.g. a loop device); left as it is.</param>
    /// <param name="slotB">The same for slot B.</param>
    public TestDevice(long slotSize = 4 << 20, string? slotA = null, string? slotB = null)
    {
        // The fixture root and key, not fresh ones: generating a key per test costs time and tests nothing.
        File.Copy(TestKeys.RootPath, RootPath);
        Key = SigningKey.Load(KeyPath);
        SlotA = slotA ?? Path("slot-a.img");
        SlotB = slotB ?? Path("slot-b.img");
        if (slotA is null)
        {
            File.WriteAllBytes(SlotA, Pattern(slotSize, SlotAFill));
        }
        if (slotB is null)
        {
            File.WriteAllBytes(SlotB, Pattern(slotSize, SlotBFill));
        }
        File.WriteAllText(ConfigPath, ConfigText());
        File.WriteAllText(MachineIdFile, "0123456789abcdef0123456789abcdef\n");
        // A fresh GRUB environment, made by the real tool: both backends' tests read it with grub-editenv too.
        GrubEnvFile.Create(GrubEnv);
        // The running image's own anti-rollback floor, as an image build ships it: without a readable floor an
        // install is refused (docs/anti-rollback.md). Security version 0, so it holds back no test's bundle.
        WriteImageInfo(0);
    }

    /// <summary>image-info: the running image's description, [system] image-info of update.conf.</summary>
    public string ImageInfoPath => Path("image-info");

    /// <summary>Writes the running image's image-info file (<paramref name="version"/> and <paramref name="built"/> only when given).</summary>
    public void WriteImageInfo(long securityVersion, string? version = null, string? built = null) =>
        File.WriteAllText(ImageInfoPath, $"[image]\nsecurity-version = {securityVersion}\n" +
            (version is null ? "" : $"version = {version}\n") + (built is null ? "" : $"built = {built}\n"));

    public string Root => _directory.Root;
    /// <summary>The shipped trust root ([system] trust-root): the fixture key in every role.</summary>
    public string RootPath => Path("root.json");

    /// <summary>The root the device trusts now: the shipped one walked forward through its state directory.</summary>
    public Updater.Trust.TrustRoot LoadRoot() => new Updater.Trust.TrustStore(RootPath, new Updater.State.StateDirectory(StateDir)).Load();
    public string StateDir => Path("state");
    public string SlotA { get; }
    public string SlotB { get; }
    public string ConfigPath => Path("update.conf");
    public string GrubEnv => Path("grubenv");
    public string UBootEnv => Path("uboot.env");
    public string MachineIdFile => Path("machine-id");

    /// <summary>The private key the trust root names (the fixture's), for bundles, channel files and roots.</summary>
    public static string KeyPath => TestKeys.PrivateKeyPath;

    /// <summary>That key, loaded once for the device's lifetime.</summary>
    public SigningKey Key { get; }

    /// <summary>The bootloader of <see cref="Device"/> and <see cref="Installer"/> when a test passes none.</summary>
    public FakeBootloader Bootloader { get; } = new();

    public string Path(string name) => _directory.Path(name);

    /// <summary>update.conf, read from the file each time, so a test can add sections (e.g. [channel] once a server runs).</summary>
    public UpdaterConfig Config => UpdaterConfig.Load(ConfigPath);

    public void AppendConfig(string text) => File.AppendAllText(ConfigPath, "\n" + text + "\n");

    /// <summary>
    /// The device's update.conf: the reference template of <paramref name="backend"/> (fixtures/config) with this
    /// device's paths, and <paramref name="extraSystem"/> added to [system].
    /// </summary>
    public string ConfigText(string extraSystem = "", string backend = "grub") =>
        File.ReadAllText(RepositoryPaths.Fixture($"config/{backend}.update.conf"))
            .Replace("@DIR@", Root, StringComparison.Ordinal)
            .Replace("@SLOT_A@", SlotA, StringComparison.Ordinal)
            .Replace("@SLOT_B@", SlotB, StringComparison.Ordinal)
            .Replace("# @EXTRA_SYSTEM@", extraSystem, StringComparison.Ordinal);

    /// <summary>The device as a command sees it: <paramref name="bootloader"/> (default the fake one) and no kernel command line.</summary>
    public DeviceContext Device(IBootloader? bootloader = null, IRebooter? rebooter = null, TimeProvider? time = null, IUpdateEvents? events = null,
        string? booted = null)
    {
        var config = Config;
        return new(config, bootloader ?? Bootloader, booted, rebooter: rebooter, time: time, detector: new BootedSlotDetector(config.Slots, Path("no-cmdline")), events: events);
    }

    public Installer Installer(IBootloader? bootloader = null, TimeProvider? time = null, IUpdateEvents? events = null) => new(Device(bootloader, time: time, events: events), time);

    public async Task<InstallResult> InstallAsync(string bundle, IBootloader? bootloader = null, InstallOptions? options = null)
    {
        await using var source = FileBundleSource.Open(bundle);
        return await Installer(bootloader).InstallAsync(source, options ?? new InstallOptions(), null, CancellationToken.None);
    }

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

    /// <summary>A signed bundle named <paramref name="name"/> of the image file <paramref name="image"/>.</summary>
    public async Task<string> MakeBundleAsync(string name, string image, string version = "2.0.0", long securityVersion = 0,
        string compatible = Compatible, int chunkSize = 64 * 1024, bool allowDowngrade = false, string? keyPath = null)
    {
        using var key = keyPath is null ? null : SigningKey.Load(keyPath);
        string path = Path(name);
        await new BundleWriter(new BundleCreateRequest
        {
            Images = [new BundleImageInput("rootfs", image)],
            Compatible = compatible,
            Version = version,
            SecurityVersion = securityVersion,
            ChunkSize = chunkSize,
            AllowDowngrade = allowDowngrade,
        }, [key ?? Key]).WriteAsync(path, null, CancellationToken.None);
        return path;
    }

    /// <summary>
    /// A signed bundle of release <paramref name="version"/> (security version 1) with a generated image of
    /// <paramref name="imageSize"/> bytes, half random and half compressible; returns the bundle and the image.
    /// </summary>
    public async Task<(string Path, byte[] Image)> MakeBundleAsync(string version, int imageSize = 3 << 20, int seed = 1, int chunkSize = 64 * 1024)
    {
        var image = new byte[imageSize];
        new Random(seed).NextBytes(image.AsSpan(0, imageSize / 2));
        for (int i = imageSize / 2; i < imageSize; i++)
        {
            image[i] = (byte)(i / 4096 % 7);
        }
        string imagePath = Path($"image-{version}-{seed}.img");
        await File.WriteAllBytesAsync(imagePath, image);
        string bundlePath = Path($"bundle-{version}-{seed}.bundle");
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

    public string SlotAHash => Sha256Of(SlotA);

    /// <summary>The first <paramref name="length"/> bytes of slot B, to compare with an image.</summary>
    public byte[] ReadSlotB(int length)
    {
        using var stream = File.OpenRead(SlotB);
        var buffer = new byte[length];
        stream.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>SHA-256 of a file, or of its first <paramref name="length"/> bytes, in lower-case hex.</summary>
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

    /// <summary>Known bytes that differ at every offset; a prefix of a longer pattern is the shorter pattern.</summary>
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
        Key.Dispose();
        _directory.Dispose();
    }
}
