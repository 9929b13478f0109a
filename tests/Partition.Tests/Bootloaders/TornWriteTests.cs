// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using Partition.Bootloaders;
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.UBoot;
using Partition.Storage;
using Partition.Tests.Support;

namespace Partition.Tests.Bootloaders;

/// <summary>
/// A power cut during every environment write: for each prefix length k of the bytes a write puts on disk, the
/// real backend code runs with a <see cref="PowerCutWriter"/> that stops after k bytes, and both our reader and the real tool must
/// then see the complete old state or the complete new state, with a bootable slot. The real tool runs once per
/// distinct on-disk image (identical images give identical answers), our reader on every k.
/// </summary>
public sealed class TornWriteTests : IDisposable
{
    private const int UBootSize = 0x400;
    private const long UBootSecond = 0x800;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public enum Change
    {
        ActivateBTrial,
        MarkGoodB,
        MarkBadB,
        ActivateAPermanent,
    }

    private static Task Apply(IBootloader bootloader, Change change) => change switch
    {
        Change.ActivateBTrial => bootloader.ActivateAsync("B", BootActivation.Trial, CancellationToken.None),
        Change.MarkGoodB => bootloader.MarkGoodAsync("B", CancellationToken.None),
        Change.MarkBadB => bootloader.MarkBadAsync("B", CancellationToken.None),
        _ => bootloader.ActivateAsync("A", BootActivation.Permanent, CancellationToken.None),
    };

    /// <summary>The state each change starts from: the change before it in an install and rollback sequence.</summary>
    private static async Task Prepare(IBootloader bootloader, Change change)
    {
        await bootloader.MarkGoodAsync("A", CancellationToken.None);
        if (change is Change.MarkGoodB or Change.MarkBadB or Change.ActivateAPermanent)
        {
            await bootloader.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        }

        if (change is Change.ActivateAPermanent)
        {
            await bootloader.MarkGoodAsync("B", CancellationToken.None);
        }
    }

    private static string Describe(BootState s) =>
        string.Join(",", s.Order) + "|" + string.Join(";", s.Slots) + "|" + string.Join(";", s.Variables.OrderBy(v => v.Key, StringComparer.Ordinal));

    private static string Hash(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    [Theory]
    [InlineData(Change.ActivateBTrial)]
    [InlineData(Change.MarkGoodB)]
    [InlineData(Change.MarkBadB)]
    [InlineData(Change.ActivateAPermanent)]
    public async Task Grub_every_torn_replacement_reads_as_old_or_new(Change change)
    {
        string file = _dir.Path("grubenv");
        var grubenv = GrubEnvFile.Create(file);
        var grub = new GrubBootloader(new GrubOptions(file));
        await Prepare(grub, change);
        byte[] oldBytes = await File.ReadAllBytesAsync(file);
        string oldState = Describe(await grub.ReadStateAsync(CancellationToken.None));
        string oldListing = grubenv.Listing();

        await Apply(grub, change);
        byte[] newBytes = await File.ReadAllBytesAsync(file);
        string newState = Describe(await grub.ReadStateAsync(CancellationToken.None));
        string newListing = grubenv.Listing();
        Assert.NotEqual(oldState, newState);

        var seenImages = new Dictionary<string, string>();
        int cases = 0;
        for (int k = 0; k <= GrubEnvBlock.Size; k++)
        {
            await File.WriteAllBytesAsync(file, oldBytes);
            await Assert.ThrowsAsync<PowerCutException>(() => Apply(new GrubBootloader(grub.Options, new PowerCutWriter(k)), change));

            byte[] onDisk = await File.ReadAllBytesAsync(file);
            var state = await grub.ReadStateAsync(CancellationToken.None);
            Assert.Equal(oldState, Describe(state));
            Assert.NotNull(state.NextBoot);
            Assert.Equal(k, new FileInfo(AtomicFile.TemporaryPathFor(file)).Length);
            if (!seenImages.ContainsKey(Hash(onDisk)))
            {
                seenImages[Hash(onDisk)] = grubenv.Listing();
            }

            Assert.Equal(oldListing, seenImages[Hash(onDisk)]);
            cases++;
        }

        // The write that completes, over the temporary file the last cut left behind.
        await File.WriteAllBytesAsync(file, oldBytes);
        await Apply(grub, change);
        Assert.Equal(newBytes, await File.ReadAllBytesAsync(file));
        Assert.Equal(newListing, grubenv.Listing());
        Assert.False(File.Exists(AtomicFile.TemporaryPathFor(file)));
        cases++;

        Assert.Equal(GrubEnvBlock.Size + 2, cases);
    }

    private static string DurableFileTemporary(string file) => file + ".updater-new";

    /// <summary>
    /// grub.cfg's own save_env rewrites grubenv in place (GRUB cannot rename). Counting a try changes one digit
    /// to another, so the block differs from the old one in exactly one byte, and any torn in-place write of the
    /// block leaves the old or the new one. Every prefix is checked with grub-editenv.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(9)]
    public async Task Grub_save_env_of_a_try_count_changes_one_byte_so_any_torn_in_place_write_is_old_or_new(int tries)
    {
        string file = _dir.Path("grubenv");
        var grubenv = GrubEnvFile.Create(file);
        var grub = new GrubBootloader(new GrubOptions(file, tries));
        await grub.MarkGoodAsync("A", CancellationToken.None);
        await grub.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);

        for (int boot = 1; boot <= tries; boot++)
        {
            byte[] oldBytes = await File.ReadAllBytesAsync(file);
            var block = GrubEnvBlock.Parse(oldBytes, file);
            var decision = GrubBootRule.Decide(block.Variables);
            Assert.Equal("B", decision.Slot);
            foreach (var (name, value) in decision.Saved)
            {
                block.Set(name, value);
            }

            byte[] newBytes = block.Encode(file);
            Assert.Equal(1, oldBytes.Zip(newBytes).Count(p => p.First != p.Second));

            var listings = new HashSet<string>();
            var images = new HashSet<string>();
            for (int k = 0; k <= GrubEnvBlock.Size; k++)
            {
                byte[] torn = [.. newBytes.AsSpan(0, k), .. oldBytes.AsSpan(k)];
                if (images.Add(Hash(torn)))
                {
                    await File.WriteAllBytesAsync(file, torn);
                    listings.Add(grubenv.Listing());
                }
            }

            Assert.Equal(2, images.Count);
            Assert.Equal(2, listings.Count);
            await File.WriteAllBytesAsync(file, newBytes);
            Assert.Contains(grubenv.Listing(), listings);
        }

        // The trial's tries are used up: GRUB falls back to A.
        Assert.Equal("A", GrubBootRule.Decide(GrubEnvBlock.Parse(await File.ReadAllBytesAsync(file), file).Variables).Slot);
    }

    public static TheoryData<Change, int> UBootCases()
    {
        var data = new TheoryData<Change, int>();
        foreach (var change in Enum.GetValues<Change>())
        {
            // Starting with the current copy first (the write tears copy 2), second (it tears copy 1), and at flag 255.
            foreach (int start in new[] { 0, 1, 255 })
            {
                data.Add(change, start);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(UBootCases))]
    public async Task UBoot_redundant_every_torn_copy_reads_as_old_or_new(Change change, int start)
    {
        var options = new UBootOptions(_dir.Path("uboot.env"), 0, UBootSize, UBootSecond);
        await File.WriteAllBytesAsync(options.Device, new byte[UBootSecond + UBootSize]);
        var seed = new Dictionary<string, string> { ["bootcmd"] = "run updater" };
        await WriteCopy(options, 0, UBootEnvCopy.Encode(seed, UBootSize, 1, options.Device));
        var uboot = new UBootBootloader(options);
        await Prepare(uboot, change);
        var store = new UBootEnvStore(options);
        var prepared = await store.ReadAsync(CancellationToken.None);
        if (start == 255)
        {
            // Copy 2 current with flag 255, copy 1 an older generation with 254: the write goes to copy 1 with flag 0.
            await WriteCopy(options, 0, UBootEnvCopy.Encode(seed, UBootSize, 254, options.Device));
            await WriteCopy(options, UBootSecond, UBootEnvCopy.Encode(prepared.Variables, UBootSize, 255, options.Device));
        }
        else if (prepared.CopyIndex != start)
        {
            // Rewrite the same variables once: the other copy becomes current, the state stays.
            await store.WriteAsync(prepared, prepared.Variables, CancellationToken.None);
        }

        var before = await store.ReadAsync(CancellationToken.None);
        Assert.Equal(start == 255 ? 1 : start, before.CopyIndex);
        long tornOffset = before.CopyIndex == 0 ? UBootSecond : 0;
        long keptOffset = before.CopyIndex == 0 ? 0 : UBootSecond;

        byte[] oldBytes = await File.ReadAllBytesAsync(options.Device);
        string oldState = Describe(await uboot.ReadStateAsync(CancellationToken.None));
        string config = ToolFormats.FwEnvConfig(_dir, options.Device, options.Offset, options.Size, options.RedundantOffset);
        string oldListing = (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout;

        await Apply(uboot, change);
        byte[] newBytes = await File.ReadAllBytesAsync(options.Device);
        string newState = Describe(await uboot.ReadStateAsync(CancellationToken.None));
        string newListing = (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout;
        Assert.NotEqual(oldState, newState);
        Assert.True(oldBytes.AsSpan((int)keptOffset, UBootSize).SequenceEqual(newBytes.AsSpan((int)keptOffset, UBootSize)), "the current copy must not be written");
        Assert.False(oldBytes.AsSpan((int)tornOffset, UBootSize).SequenceEqual(newBytes.AsSpan((int)tornOffset, UBootSize)), "the write goes to the other copy");

        var toolSays = new Dictionary<string, string>();
        bool becameNew = false;
        int cases = 0;
        for (int k = 0; k <= UBootSize; k++)
        {
            await File.WriteAllBytesAsync(options.Device, oldBytes);
            await Assert.ThrowsAsync<PowerCutException>(() => Apply(new UBootBootloader(uboot.Options, new PowerCutWriter(k)), change));

            byte[] onDisk = await File.ReadAllBytesAsync(options.Device);
            var state = await uboot.ReadStateAsync(CancellationToken.None);
            string seen = Describe(state);
            Assert.True(seen == oldState || seen == newState, $"k={k}: a third state {seen}");
            Assert.False(becameNew && seen == oldState, $"k={k}: went back to the old state after showing the new one");
            becameNew |= seen == newState;
            Assert.NotNull(state.NextBoot);

            string hash = Hash(onDisk);
            if (!toolSays.TryGetValue(hash, out var listing))
            {
                listing = (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout;
                toolSays[hash] = listing;
            }

            Assert.Equal(seen == oldState ? oldListing : newListing, listing);
            cases++;
        }

        Assert.True(becameNew, "the complete write must read as the new state");
        Assert.Equal(UBootSize + 1, cases);
        Assert.True(toolSays.Count > 2, "the torn writes must produce distinct images for the tool to judge");
    }

    [Theory]
    [InlineData(Change.ActivateBTrial)]
    [InlineData(Change.MarkBadB)]
    public async Task UBoot_single_copy_file_every_torn_replacement_reads_as_old_or_new(Change change)
    {
        string file = _dir.Path("uboot.env");
        await File.WriteAllBytesAsync(file, UBootEnvCopy.Encode(new Dictionary<string, string> { ["bootcmd"] = "run updater" }, UBootSize, null, file));
        var uboot = new UBootBootloader(new UBootOptions(file, 0, UBootSize, null));
        await Prepare(uboot, change);
        string config = ToolFormats.FwEnvConfig(_dir, file, 0, UBootSize, null);
        byte[] oldBytes = await File.ReadAllBytesAsync(file);
        string oldState = Describe(await uboot.ReadStateAsync(CancellationToken.None));
        string oldListing = (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout;

        int cases = 0;
        for (int k = 0; k <= UBootSize; k++)
        {
            await File.WriteAllBytesAsync(file, oldBytes);
            await Assert.ThrowsAsync<PowerCutException>(() => Apply(new UBootBootloader(uboot.Options, new PowerCutWriter(k)), change));

            Assert.Equal(oldBytes, await File.ReadAllBytesAsync(file));
            Assert.Equal(oldState, Describe(await uboot.ReadStateAsync(CancellationToken.None)));
            cases++;
        }

        Assert.Equal(oldListing, (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout);
        await Apply(uboot, change);
        Assert.NotEqual(oldListing, (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout);
        Assert.Equal(UBootSize + 1, cases);
    }

    private static async Task WriteCopy(UBootOptions options, long offset, byte[] copy)
    {
        byte[] image = await File.ReadAllBytesAsync(options.Device);
        copy.CopyTo(image, offset);
        await File.WriteAllBytesAsync(options.Device, image);
    }
}
