// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;
using Partition.Bootloaders.UBoot;
using Partition.Tests.Support;

namespace Partition.Tests.Bootloaders;

/// <summary>The U-Boot environment as the real fw_printenv/fw_setenv (libubootenv) read and write it.</summary>
public sealed class UBootEnvInteropTests : IDisposable
{
    private const int Size = 0x1000;
    private const long Second = 0x2000;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>U-Boot escapes nothing: any byte but NUL passes through. An empty value means "unset" to U-Boot, so none here.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> Awkward =
    [
        new("BOOT_ORDER", "B A"),
        new("backslash", @"C:\path\to\"),
        new("bootargs", "console=ttyS0,115200 root=/dev/mmcblk0p2 rootwait"),
        new("equals", "a=b=c"),
        new("newline", "line one\nline two"),
        new("quotes", "say \"hi\" and 'bye'"),
        new("shell", "$x ${y}; `z` | & > <"),
        new("spaces", "  two  words  "),
        new("tab", "a\tb"),
        new("utf8", "grüße, 東京"),
    ];

    private static Dictionary<string, string> Dict(IEnumerable<KeyValuePair<string, string>> v) => v.ToDictionary(p => p.Key, p => p.Value);

    private static string SortedListing(IReadOnlyDictionary<string, string> v) =>
        ToolFormats.Listing(v.OrderBy(p => p.Key, StringComparer.Ordinal));

    /// <summary>A file holding a valid environment with <paramref name="variables"/> (copy 1 flag <paramref name="flag"/>, copy 2 blank).</summary>
    internal static UBootOptions Provision(TempDirectory dir, bool redundant, IReadOnlyDictionary<string, string>? variables = null, byte flag = 1)
    {
        string file = dir.Path("uboot.env");
        var options = new UBootOptions(file, 0, Size, redundant ? Second : null);
        byte[] image = new byte[redundant ? Second + Size : Size];
        UBootEnvCopy.Encode(variables ?? new Dictionary<string, string>(), Size, redundant ? flag : null, file).CopyTo(image, 0);
        File.WriteAllBytes(file, image);
        return options;
    }

    private string Config(UBootOptions o) => ToolFormats.FwEnvConfig(_dir, o.Device, o.Offset, o.Size, o.RedundantOffset);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task What_we_write_fw_printenv_reads_exactly(bool redundant)
    {
        var options = Provision(_dir, redundant);
        var store = new UBootEnvStore(options);
        string config = Config(options);

        var expected = Dict(Awkward);
        await store.WriteAsync(await store.ReadAsync(CancellationToken.None), expected, CancellationToken.None);
        Assert.Equal(SortedListing(expected), (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout);

        // A second write lands in the other copy of a redundant environment; the tool follows.
        expected["BOOT_ORDER"] = "A B";
        expected.Remove("tab");
        await store.WriteAsync(await store.ReadAsync(CancellationToken.None), expected, CancellationToken.None);
        Assert.Equal(SortedListing(expected), (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task What_fw_setenv_writes_we_read_exactly(bool redundant)
    {
        string file = _dir.Path("uboot.env");
        await File.WriteAllBytesAsync(file, new byte[redundant ? Second + Size : Size]);
        var options = new UBootOptions(file, 0, Size, redundant ? Second : null);
        string config = Config(options);
        string defaults = _dir.Path("empty-default-env");
        await File.WriteAllTextAsync(defaults, "");

        foreach (var (name, value) in Awkward)
        {
            await ProcessRunner.RunCheckedAsync("fw_setenv", "-c", config, "-f", defaults, name, value);
        }

        var snapshot = await new UBootEnvStore(options).ReadAsync(CancellationToken.None);
        Assert.Equal(Dict(Awkward), snapshot.Variables);
    }

    [Fact]
    public async Task Alternating_writers_agree_through_the_flag_wrap_from_255_to_0()
    {
        // Both copies valid, copy 2 newest with flag 255 (copy 1 has 254): the next write goes to copy 1 with flag 0.
        var options = Provision(_dir, redundant: true, new Dictionary<string, string> { ["gen"] = "254" }, flag: 254);
        byte[] image = await File.ReadAllBytesAsync(options.Device);
        UBootEnvCopy.Encode(new Dictionary<string, string> { ["gen"] = "255" }, Size, 255, options.Device).CopyTo(image, Second);
        await File.WriteAllBytesAsync(options.Device, image);
        var store = new UBootEnvStore(options);
        string config = Config(options);

        Assert.Equal("gen=255\n", (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout);
        Assert.Equal("255", (await store.ReadAsync(CancellationToken.None)).Variables["gen"]);

        for (int round = 0; round < 6; round++)
        {
            string value = $"round {round}";
            if (round % 2 == 0)
            {
                await store.WriteAsync(await store.ReadAsync(CancellationToken.None), new Dictionary<string, string> { ["gen"] = value }, CancellationToken.None);
            }
            else
            {
                await ProcessRunner.RunCheckedAsync("fw_setenv", "-c", config, "gen", value);
            }

            Assert.Equal($"gen={value}\n", (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout);
            var snapshot = await store.ReadAsync(CancellationToken.None);
            Assert.Equal(value, snapshot.Variables["gen"]);
            Assert.Equal((byte)(round + 0), snapshot.Flag);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_environment_that_would_overflow_is_refused_and_stays_unchanged(bool redundant)
    {
        var options = Provision(_dir, redundant, new Dictionary<string, string> { ["filler"] = new string('f', Size - 200) });
        var uboot = new UBootBootloader(options);
        await uboot.MarkGoodAsync("A", CancellationToken.None);
        byte[] before = await File.ReadAllBytesAsync(options.Device);

        var bigger = Dict(Awkward);
        bigger["filler"] = new string('f', Size);
        var store = new UBootEnvStore(options);
        var current = await store.ReadAsync(CancellationToken.None);
        var error = await Assert.ThrowsAsync<BootEnvironmentException>(() => store.WriteAsync(current, bigger, CancellationToken.None));

        Assert.Equal(options.Device, error.Path);
        Assert.Contains("uboot-env-size", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(options.Device));
        Assert.Contains("BOOT_A_LEFT=3\n", (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", Config(options))).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Neither_copy_valid_is_one_error_and_fw_printenv_agrees_there_is_no_environment()
    {
        string file = _dir.Path("uboot.env");
        await File.WriteAllBytesAsync(file, new byte[Second + Size]);
        var uboot = new UBootBootloader(new UBootOptions(file, 0, Size, Second));

        var read = await Assert.ThrowsAsync<BootEnvironmentException>(() => uboot.ReadStateAsync(CancellationToken.None));
        await Assert.ThrowsAsync<BootEnvironmentException>(() => uboot.ActivateAsync("B", BootActivation.Trial, CancellationToken.None));

        Assert.Contains("neither copy", read.Message, StringComparison.Ordinal);
        Assert.All(await File.ReadAllBytesAsync(file), b => Assert.Equal(0, b));
        Assert.Contains("Cannot read environment", (await ProcessRunner.RunAsync("fw_printenv", "-c", ToolFormats.FwEnvConfig(_dir, file, 0, Size, Second))).Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_without_equals_is_an_error_naming_its_offset()
    {
        string file = _dir.Path("uboot.env");
        byte[] copy = new byte[Size];
        "A=1\0broken\0\0"u8.CopyTo(copy.AsSpan(4));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(copy, Crc32Of(copy.AsSpan(4)));
        await File.WriteAllBytesAsync(file, copy);

        var error = await Assert.ThrowsAsync<BootEnvironmentException>(() => new UBootBootloader(new UBootOptions(file, 0, Size, null)).ReadStateAsync(CancellationToken.None));

        Assert.Equal(8, error.Offset);
        Assert.Contains("no '='", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_single_copy_inside_a_larger_file_is_read_but_never_written_in_place()
    {
        string file = _dir.Path("disk.img");
        byte[] disk = new byte[0x10000];
        UBootEnvCopy.Encode(new Dictionary<string, string> { ["BOOT_ORDER"] = "A B" }, Size, null, file).CopyTo(disk, 0x4000);
        await File.WriteAllBytesAsync(file, disk);
        var uboot = new UBootBootloader(new UBootOptions(file, 0x4000, Size, null));

        Assert.Equal("A", (await uboot.ReadStateAsync(CancellationToken.None)).NextBoot);
        var error = await Assert.ThrowsAsync<BootEnvironmentException>(() => uboot.ActivateAsync("B", BootActivation.Trial, CancellationToken.None));

        Assert.Contains("uboot-env-redundant-offset", error.Message, StringComparison.Ordinal);
        Assert.Equal(disk, await File.ReadAllBytesAsync(file));
    }

    [Fact]
    public async Task A_single_copy_inside_a_larger_file_is_written_in_place_only_with_the_opt_in()
    {
        string file = _dir.Path("disk.img");
        byte[] disk = new byte[0x10000];
        Random.Shared.NextBytes(disk);
        UBootEnvCopy.Encode(new Dictionary<string, string> { ["BOOT_ORDER"] = "A B" }, Size, null, file).CopyTo(disk, 0x4000);
        await File.WriteAllBytesAsync(file, disk);
        var options = BootloaderFactory.UBootOptionsFrom(new Dictionary<string, string>
        {
            ["uboot-env"] = file, ["uboot-env-offset"] = "0x4000", ["uboot-env-size"] = $"0x{Size:x}", ["uboot-env-single-copy"] = "accept-reset-on-power-cut",
        });

        await new UBootBootloader(options).ActivateAsync("B", BootActivation.Trial, CancellationToken.None);

        string listing = (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", ToolFormats.FwEnvConfig(_dir, file, 0x4000, Size, null))).Stdout;
        Assert.Contains("BOOT_ORDER=B A\n", listing, StringComparison.Ordinal);
        Assert.Contains("BOOT_B_TRIAL=1\n", listing, StringComparison.Ordinal);
        byte[] after = await File.ReadAllBytesAsync(file);
        Assert.Equal(disk.AsSpan(0, 0x4000).ToArray(), after.AsSpan(0, 0x4000).ToArray());
        Assert.Equal(disk.AsSpan(0x4000 + Size).ToArray(), after.AsSpan(0x4000 + Size).ToArray());
    }

    /// <summary>zlib's crc32 computed independently of the code under test (bitwise, no table).</summary>
    private static uint Crc32Of(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc >> 1) ^ (0xEDB88320 & (uint)-(int)(crc & 1));
            }
        }

        return ~crc;
    }
}
