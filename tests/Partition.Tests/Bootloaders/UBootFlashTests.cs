// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using Partition.Bootloaders;
using Partition.Bootloaders.UBoot;
using Partition.Tests.Support;

namespace Partition.Tests.Bootloaders;

/// <summary>
/// The U-Boot environment on NOR flash: erase, then program, then obsolete the old copy's flag. A power cut after
/// every step the chip takes (each block erased, each byte programmed) must leave the old or the new environment,
/// chosen the same way by our reader, by U-Boot's rule for flash (env/flash.c, modelled here) and by fw_printenv.
/// The flash is <see cref="SimulatedNorFlash"/> (erase to 0xFF, programming ANDs bits); the real chip and the
/// real mtd driver are proven in the arm64 guest.
/// </summary>
public sealed class UBootFlashTests : IDisposable
{
    private const int Size = 0x200;
    private const int Block = 0x100;
    private const long Second = 0x400;

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

    /// <summary>U-Boot's choice between two copies in flash (env/flash.c, env_flash_init): -1 for its default environment.</summary>
    private static int UBootChooses(UBootEnvCopy first, UBootEnvCopy second)
    {
        if (first.CrcValid != second.CrcValid)
        {
            return first.CrcValid ? 0 : 1;
        }

        if (!first.CrcValid)
        {
            return -1;
        }

        byte a = first.Flag!.Value, b = second.Flag!.Value;
        return (a, b) switch
        {
            (1, 0) => 0,
            (0, 1) => 1,
            _ when a == b => 0,
            (0xFF, _) => 0,
            (_, 0xFF) => 1,
            _ => -1,
        };
    }

    private string NewFlash(long length)
    {
        string file = _dir.Path("nor.bin");
        File.WriteAllBytes(file, Enumerable.Repeat((byte)0xFF, (int)length).ToArray());
        return file;
    }

    private UBootBootloader Redundant(string file, SimulatedNorFlash flash) =>
        new(new UBootOptions(file, 0, Size, Second), _ => flash);

    [Theory]
    [InlineData(Change.ActivateBTrial, 0)]
    [InlineData(Change.ActivateBTrial, 1)]
    [InlineData(Change.MarkGoodB, 0)]
    [InlineData(Change.MarkGoodB, 1)]
    [InlineData(Change.MarkBadB, 0)]
    [InlineData(Change.MarkBadB, 1)]
    [InlineData(Change.ActivateAPermanent, 0)]
    [InlineData(Change.ActivateAPermanent, 1)]
    public async Task A_cut_after_any_erase_or_programmed_byte_leaves_the_old_or_the_new_environment(Change change, int start)
    {
        string file = NewFlash(Second + Size);
        var seed = new Dictionary<string, string> { ["bootcmd"] = "run updater" };
        await File.WriteAllBytesAsync(file, [.. UBootEnvCopy.Encode(seed, Size, UBootEnvStore.FlashActiveFlag, file), .. (await File.ReadAllBytesAsync(file)).AsSpan(Size)]);
        var ready = new SimulatedNorFlash(file, Block);
        var uboot = Redundant(file, ready);
        await Prepare(uboot, change);
        var store = new UBootEnvStore(uboot.Options, Partition.Storage.DurableWriter.Instance, _ => ready);
        var prepared = await store.ReadAsync(CancellationToken.None);
        if (prepared.CopyIndex != start)
        {
            await store.WriteAsync(prepared, prepared.Variables, CancellationToken.None);
        }

        Assert.Equal(start, (await store.ReadAsync(CancellationToken.None)).CopyIndex);
        string config = ToolFormats.FwEnvConfig(_dir, file, 0, Size, Second);
        byte[] oldBytes = await File.ReadAllBytesAsync(file);
        string oldState = Describe(await uboot.ReadStateAsync(CancellationToken.None));
        string oldListing = (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout;

        var complete = new SimulatedNorFlash(file, Block);
        await Apply(Redundant(file, complete), change);
        string newState = Describe(await uboot.ReadStateAsync(CancellationToken.None));
        string newListing = (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout;
        Assert.NotEqual(oldState, newState);
        Assert.Equal(0, complete.BitsNotSet);
        // Two blocks erased, a copy programmed, one flag byte obsoleted.
        Assert.Equal(Size / Block + Size + 1, complete.Steps);

        var toolSays = new Dictionary<string, string>();
        bool becameNew = false;
        for (long steps = 0; steps < complete.Steps; steps++)
        {
            await File.WriteAllBytesAsync(file, oldBytes);
            var cut = new SimulatedNorFlash(file, Block, steps);
            await Assert.ThrowsAsync<PowerCutException>(() => Apply(Redundant(file, cut), change));
            Assert.Equal(0, cut.BitsNotSet);

            byte[] image = await File.ReadAllBytesAsync(file);
            var first = UBootEnvCopy.Decode(image.AsSpan(0, Size), true, file, 0);
            var second = UBootEnvCopy.Decode(image.AsSpan((int)Second, Size), true, file, Second);
            int ours = UBootEnvStore.CurrentCopy(first, second, booleanFlags: true);
            Assert.Equal(UBootChooses(first, second), ours);
            // fw_printenv reads the image as a file, whose rule (the higher flag) equals NOR's for flags 0 and 1.
            Assert.False(first.CrcValid && first.Flag == 0xFF || second.CrcValid && second.Flag == 0xFF, $"step {steps}: a valid copy with an unwritten flag");

            var state = await uboot.ReadStateAsync(CancellationToken.None);
            string seen = Describe(state);
            Assert.True(seen == oldState || seen == newState, $"step {steps}: a third state {seen}");
            Assert.False(becameNew && seen == oldState, $"step {steps}: back to the old state after the new one");
            becameNew |= seen == newState;
            Assert.NotNull(state.NextBoot);

            string hash = Convert.ToHexString(SHA256.HashData(image));
            if (!toolSays.TryGetValue(hash, out var listing))
            {
                listing = (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout;
                toolSays[hash] = listing;
            }

            Assert.Equal(seen == oldState ? oldListing : newListing, listing);
        }

        // Copy 2 written last is new only once copy 1 is obsolete; copy 1 written last is new as soon as it is whole.
        Assert.Equal(start == 1, becameNew);
        Assert.True(toolSays.Count > 2, "the cuts must leave distinct images for the tool to judge");
    }

    [Fact]
    public async Task A_single_copy_on_flash_is_refused_without_the_opt_in_and_nothing_is_erased()
    {
        string file = NewFlash(Block * 4);
        await File.WriteAllBytesAsync(file, [.. UBootEnvCopy.Encode(new Dictionary<string, string> { ["bootcmd"] = "run updater" }, Size, null, file), .. new byte[Block * 4 - Size]]);
        byte[] before = await File.ReadAllBytesAsync(file);
        var flash = new SimulatedNorFlash(file, Block);
        var uboot = new UBootBootloader(new UBootOptions(file, 0, Size, null), _ => flash);

        var error = await Assert.ThrowsAsync<BootEnvironmentException>(() => uboot.ActivateAsync("B", BootActivation.Trial, CancellationToken.None));

        Assert.Contains("uboot-env-single-copy=accept-reset-on-power-cut", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, flash.Steps);
        Assert.Equal(before, await File.ReadAllBytesAsync(file));
    }

    [Fact]
    public async Task A_single_copy_on_flash_with_the_opt_in_is_written_and_a_cut_mid_write_costs_the_environment()
    {
        string file = NewFlash(Block * 4);
        await File.WriteAllBytesAsync(file, [.. UBootEnvCopy.Encode(new Dictionary<string, string> { ["bootcmd"] = "run updater" }, Size, null, file), .. new byte[Block * 4 - Size]]);
        byte[] before = await File.ReadAllBytesAsync(file);
        var options = new UBootOptions(file, 0, Size, null) { SingleCopyInPlace = true };
        string config = ToolFormats.FwEnvConfig(_dir, file, 0, Size, null);

        await new UBootBootloader(options, _ => new SimulatedNorFlash(file, Block)).ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        string listing = (await ProcessRunner.RunCheckedAsync("fw_printenv", "-c", config)).Stdout;
        Assert.Contains("BOOT_B_TRIAL=1\n", listing, StringComparison.Ordinal);
        Assert.Equal(before.AsSpan(Size * 2).ToArray(), (await File.ReadAllBytesAsync(file)).AsSpan(Size * 2).ToArray());

        // The documented cost: cut after the erase, the environment is gone (U-Boot would boot its built-in one).
        await File.WriteAllBytesAsync(file, before);
        await Assert.ThrowsAsync<PowerCutException>(() =>
            new UBootBootloader(options, _ => new SimulatedNorFlash(file, Block, Size / Block + 10)).ActivateAsync("B", BootActivation.Trial, CancellationToken.None));
        var lost = await Assert.ThrowsAsync<BootEnvironmentException>(() => new UBootBootloader(options, _ => new SimulatedNorFlash(file, Block)).ReadStateAsync(CancellationToken.None));
        Assert.Contains("CRC-32 does not match", lost.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x80, 0x400, "uboot-env-offset is not at the start of an erase block")]
    [InlineData(0, 0x480, "uboot-env-redundant-offset is not at the start of an erase block")]
    [InlineData(0, 0x700, "run past the end of the flash")]
    public async Task A_layout_that_an_erase_would_break_is_refused_before_anything_is_erased(long offset, long second, string problem)
    {
        string file = NewFlash(0x800);
        var seed = UBootEnvCopy.Encode(new Dictionary<string, string> { ["bootcmd"] = "run updater" }, Size, 1, file);
        byte[] image = await File.ReadAllBytesAsync(file);
        seed.CopyTo(image, offset);
        await File.WriteAllBytesAsync(file, image);
        var flash = new SimulatedNorFlash(file, Block);
        // A copy of 0x200 bytes over 0x100-byte blocks: each copy must start on a block and end inside the flash.
        var uboot = new UBootBootloader(new UBootOptions(file, offset, Size, second), _ => flash);

        var error = await Assert.ThrowsAsync<BootEnvironmentException>(() => uboot.ActivateAsync("B", BootActivation.Trial, CancellationToken.None));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, flash.Steps);
        Assert.Equal(image, await File.ReadAllBytesAsync(file));
    }

    [Fact]
    public async Task A_block_that_does_not_take_the_write_is_reported_and_the_current_copy_stays_in_use()
    {
        string file = NewFlash(Second + Size);
        await File.WriteAllBytesAsync(file, [.. UBootEnvCopy.Encode(new Dictionary<string, string> { ["bootcmd"] = "run updater" }, Size, 1, file), .. (await File.ReadAllBytesAsync(file)).AsSpan(Size)]);
        var flash = new SimulatedNorFlash(file, Block);
        flash.StuckBlocks.Add(Second + Block);
        var uboot = Redundant(file, flash);
        string before = Describe(await uboot.ReadStateAsync(CancellationToken.None));

        var error = await Assert.ThrowsAsync<BootEnvironmentException>(() => uboot.ActivateAsync("B", BootActivation.Trial, CancellationToken.None));

        Assert.Contains($"at byte offset {Second + Block}", error.Message, StringComparison.Ordinal);
        Assert.Contains("the current copy is unchanged", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Describe(await uboot.ReadStateAsync(CancellationToken.None)));
        Assert.Equal(1, (await File.ReadAllBytesAsync(file))[4]);
    }
}
