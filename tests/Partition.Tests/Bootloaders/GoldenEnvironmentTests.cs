// SPDX-License-Identifier: Apache-2.0
using Mono.Unix.Native;
using Partition.Bootloaders;
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.UBoot;

namespace Partition.Tests.Bootloaders;

/// <summary>
/// The golden environments of fixtures/env, made by grub-editenv and by mkenvimage/fw_setenv (fixtures/README.md),
/// read by our backends directly: bytes the real tools wrote, not bytes our own encoder round-trips. Both hold one
/// state: B on a trial of three boots with one counted (two left, B next), A committed and second. The expected
/// state is the one written down when the files were made, not what the code computes. Each test works on a copy:
/// fixtures/ is never written.
/// </summary>
public sealed class GoldenEnvironmentTests : IDisposable
{
    /// <summary>fixtures/README.md: one copy of 0x4000 bytes at offset 0, CRC32 first (no flag byte).</summary>
    private const int UBootGoldenSize = 0x4000;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string CopyOfGolden(string name)
    {
        string copy = _dir.Path(name);
        File.Copy(RepositoryPaths.Fixture("env/" + name), copy);
        return copy;
    }

    private static (ulong Inode, long MtimeNs) Identity(string path)
    {
        Assert.Equal(0, Syscall.stat(path, out var stat));
        return (stat.st_ino, (stat.st_mtime * 1_000_000_000) + stat.st_mtime_nsec);
    }

    private static void AssertGoldenState(BootState state)
    {
        Assert.Equal(["B", "A"], state.Order);
        Assert.Equal(
            [new SlotBootState("A", Good: true, SlotBootState.Uncounted, Trial: false), new SlotBootState("B", Good: true, TriesLeft: 2, Trial: true)],
            state.Slots);
        Assert.Equal("B", state.NextBoot);
    }

    /// <summary>
    /// Marking the committed A good again changes no variable, so compare-before-write must leave the tool's bytes
    /// alone: no rewrite in our encoding (variable order, padding), no new inode, no new mtime.
    /// </summary>
    private static async Task AssertNoOpLeavesTheToolsBytes(IBootloader bootloader, string file, string golden)
    {
        var identity = Identity(file);
        await Task.Delay(20); // so that a rewrite would show in the nanosecond mtime even on a coarse clock

        await bootloader.MarkGoodAsync("A", CancellationToken.None);

        Assert.Equal(await File.ReadAllBytesAsync(RepositoryPaths.Fixture("env/" + golden)), await File.ReadAllBytesAsync(file));
        Assert.Equal(identity, Identity(file));
        AssertGoldenState(await bootloader.ReadStateAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_golden_grubenv_reads_as_B_on_a_trial_with_two_boots_left_and_A_committed()
    {
        string file = CopyOfGolden("grubenv.golden");
        var grub = new GrubBootloader(new GrubOptions(file));

        var state = await grub.ReadStateAsync(CancellationToken.None);

        AssertGoldenState(state);
        Assert.Equal(
            new Dictionary<string, string> { ["ORDER"] = "B A", ["A_OK"] = "1", ["A_TRY"] = "0", ["A_TRIAL"] = "0", ["B_OK"] = "1", ["B_TRY"] = "1", ["B_TRIAL"] = "3" },
            state.Variables);
        await AssertNoOpLeavesTheToolsBytes(grub, file, "grubenv.golden");
    }

    [Fact]
    public async Task The_golden_u_boot_env_reads_as_B_on_a_trial_with_two_boots_left_and_A_committed()
    {
        string file = CopyOfGolden("uboot.env.golden");
        Assert.Equal(UBootGoldenSize, new FileInfo(file).Length);
        var uboot = new UBootBootloader(new UBootOptions(file, Offset: 0, UBootGoldenSize, RedundantOffset: null));

        var state = await uboot.ReadStateAsync(CancellationToken.None);

        AssertGoldenState(state);
        Assert.Equal(
            new Dictionary<string, string> { ["BOOT_ORDER"] = "B A", ["BOOT_A_LEFT"] = "3", ["BOOT_A_TRIAL"] = "0", ["BOOT_B_LEFT"] = "2", ["BOOT_B_TRIAL"] = "1" },
            state.Variables);
        await AssertNoOpLeavesTheToolsBytes(uboot, file, "uboot.env.golden");
    }
}
