// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Text;
using Partition.Bootloaders;
using Partition.Bootloaders.Efi;
using Partition.Storage;
using Partition.Tests.Support;
using TestSupport;

namespace Partition.Tests.Bootloaders;

/// <summary>
/// The efi backend on a directory of variable files in efivarfs's format: the real efibootmgr (Debian's, with
/// libefivar's EFIVARFS_PATH pointing at the directory) reads what the backend writes and writes what it reads,
/// and boots are what the firmware's boot manager does (<see cref="EfiBootRule"/>).
/// </summary>
public sealed class EfiTests : IDisposable
{
    private const ushort Shell = 0x0000, BootA = 0x0001, BootB = 0x0002;

    private readonly TempDirectory _dir = new();

    public EfiTests()
    {
        Directory.CreateDirectory(Efivars);
        // A device as an integrator provisions it: a firmware shell, and one boot option per slot; A committed,
        // B never written (not in BootOrder).
        WriteLoadOption(Shell, "UEFI Shell", @"\EFI\shell.efi");
        WriteLoadOption(BootA, "updater A", @"\EFI\a\grubx64.efi");
        WriteLoadOption(BootB, "updater B", @"\EFI\b\grubx64.efi");
        WriteGlobal("BootOrder", BootA, Shell);
        WriteGlobal("BootCurrent", BootA);
    }

    public void Dispose() => _dir.Dispose();

    private string Efivars => _dir.Path("efivars");

    private string Global(string name) => EfiVariable.PathOf(Efivars, name, EfiVariable.GlobalVendor);

    private EfiBootloader Backend(DurableWriter? writer = null) => new(new EfiOptions(BootA, BootB, Efivars), writer ?? DurableWriter.Instance);

    private void WriteGlobal(string name, params ushort[] numbers)
    {
        var bytes = new byte[4 + 2 * numbers.Length];
        bytes[0] = 7;
        EfiBootNumbers.EncodeOrder(numbers).CopyTo(bytes, 4);
        File.WriteAllBytes(Global(name), bytes);
    }

    private void WriteLoadOption(ushort number, string description, string loader, bool active = true) =>
        File.WriteAllBytes(Global($"Boot{number:X4}"), EfiLoadOption.Encode(description, loader, active));

    private ushort[] Read(string name) =>
        File.Exists(Global(name)) ? EfiBootNumbers.ParseOrder(File.ReadAllBytes(Global(name)), name).ToArray() : [];

    /// <summary>One power-on as the boot manager makes it: BootNext deleted and tried, else BootOrder; BootCurrent set.</summary>
    private string? Boot()
    {
        ushort? next = File.Exists(Global("BootNext")) ? Read("BootNext")[0] : null;
        File.Delete(Global("BootNext"));
        ushort? booted = EfiBootRule.Decide(next, Read("BootOrder"), n => File.Exists(Global($"Boot{n:X4}")) && EfiLoadOption.Parse(File.ReadAllBytes(Global($"Boot{n:X4}")), "").Active);
        if (booted is { } b)
        {
            WriteGlobal("BootCurrent", b);
        }
        return booted switch { BootA => "A", BootB => "B", Shell => "shell", _ => null };
    }

    private Dictionary<string, byte[]> Files() =>
        Directory.GetFiles(Efivars).ToDictionary(p => Path.GetFileName(p), File.ReadAllBytes);

    [Fact]
    public async Task A_fresh_device_boots_A_committed_and_never_B()
    {
        var state = await Backend().ReadStateAsync(CancellationToken.None);
        Assert.Equal("A", state.NextBoot);
        Assert.Equal(new SlotBootState("A", true, SlotBootState.Uncounted, false), state.Slot("A"));
        Assert.Equal(new SlotBootState("B", false, 0, false), state.Slot("B"));
        Assert.Equal("A", state.ReportedBoot);
        Assert.Equal("updater B", state.Variables["B_LABEL"]);
        Assert.Equal("0001,0000", state.Variables["BootOrder"]);
        Assert.Equal("A", Boot());
    }

    [Fact]
    public async Task A_trial_is_BootNext_for_one_boot_and_the_firmware_falls_back_by_itself()
    {
        var backend = Backend();
        await backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Assert.Equal([BootB], Read("BootNext"));
        Assert.Equal([BootA, Shell], Read("BootOrder"));
        var state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.Equal("B", state.NextBoot);
        Assert.Equal(new SlotBootState("B", true, 1, true), state.Slot("B"));

        Assert.Equal("B", Boot());
        state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.False(File.Exists(Global("BootNext")));
        Assert.Equal(new SlotBootState("B", true, 0, true), state.Slot("B"));
        Assert.Equal("B", state.ReportedBoot);

        // The trial hung: the watchdog's reset starts BootOrder again, and B reads as a trial given up, not as bad.
        Assert.Equal("A", Boot());
        state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.Equal(new SlotBootState("B", true, 0, true), state.Slot("B"));
        Assert.Equal("A", state.NextBoot);
        Assert.Equal("A", state.ReportedBoot);
    }

    [Fact]
    public async Task Changes_lock_the_variables_directory_and_create_no_lock_file_where_efivarfs_and_sysfs_allow_none()
    {
        // On a device efivars is /sys/firmware/efi/efivars: efivarfs holds only variables and sysfs above it is
        // read-only, so a lock file beside it (.efivars.lock) cannot be created (seen in a QEMU guest: every install failed).
        string[] before = Directory.GetFileSystemEntries(_dir.Path(".")).Order(StringComparer.Ordinal).ToArray();
        using (var held = Partition.Storage.FileLock.TryAcquire(Efivars))
        {
            Assert.NotNull(held);
            var waiting = Backend().ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
            await Task.Delay(200);
            Assert.False(waiting.IsCompleted, "the change did not wait for the lock on the efivars directory");
            held!.Dispose();
            await waiting;
        }
        Assert.Equal(before, Directory.GetFileSystemEntries(_dir.Path(".")).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal([BootB], Read("BootNext"));

        Directory.Delete(Efivars, recursive: true);
        var e = await Assert.ThrowsAsync<BootEnvironmentException>(() => Backend().MarkBadAsync("B", CancellationToken.None));
        Assert.Contains("is not a directory; is efivarfs mounted there?", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Efivars));
    }

    [Fact]
    public async Task A_commit_moves_the_slot_to_the_front_of_BootOrder_and_clears_the_marker()
    {
        var backend = Backend();
        await backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Assert.Equal("B", Boot());
        await backend.MarkGoodAsync("B", CancellationToken.None);
        Assert.Equal([BootB, BootA, Shell], Read("BootOrder"));
        Assert.False(File.Exists(EfiVariable.PathOf(Efivars, "UpdaterTrial", EfiVariable.UpdaterVendor)));
        var state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.Equal(new SlotBootState("B", true, SlotBootState.Uncounted, false), state.Slot("B"));
        Assert.Equal(new SlotBootState("A", true, SlotBootState.Uncounted, false), state.Slot("A"));
        Assert.Equal("B", Boot());
        Assert.Equal("B", Boot());

        // A second mark-good writes nothing.
        var before = File.GetLastWriteTimeUtc(Global("BootOrder"));
        var files = Files();
        await backend.MarkGoodAsync("B", CancellationToken.None);
        Assert.Equal(files, Files());
        Assert.Equal(before, File.GetLastWriteTimeUtc(Global("BootOrder")));
    }

    [Fact]
    public async Task A_bad_mark_drops_the_slot_from_BootOrder_and_a_manual_rollback_puts_it_back_first()
    {
        var backend = Backend();
        await backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Boot();
        await backend.MarkGoodAsync("B", CancellationToken.None);

        await backend.ActivateAsync("A", BootActivation.Permanent, CancellationToken.None);
        Assert.Equal([BootA, BootB, Shell], Read("BootOrder"));
        Assert.Equal("A", Boot());

        await backend.MarkBadAsync("B", CancellationToken.None);
        Assert.Equal([BootA, Shell], Read("BootOrder"));
        var state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.Equal(new SlotBootState("B", false, 0, false), state.Slot("B"));
    }

    [Fact]
    public async Task A_failed_verdict_on_the_trial_marks_it_bad_and_the_next_boot_is_A()
    {
        var backend = Backend();
        await backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Assert.Equal("B", Boot());
        await backend.MarkBadAsync("B", CancellationToken.None);
        var state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.Equal(new SlotBootState("B", false, 0, false), state.Slot("B"));
        Assert.Equal("A", Boot());
    }

    [Fact]
    public async Task Efibootmgr_reads_every_state_the_backend_writes()
    {
        var backend = Backend();
        await backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        string listing = Efibootmgr("-v");
        Assert.Contains("BootNext: 0002", listing);
        Assert.Contains("BootOrder: 0001,0000", listing);
        Assert.Contains("Boot0002* updater B", listing);

        Boot();
        await backend.MarkGoodAsync("B", CancellationToken.None);
        listing = Efibootmgr();
        Assert.DoesNotContain("BootNext", listing);
        Assert.Contains("BootOrder: 0002,0001,0000", listing);
        Assert.Contains("BootCurrent: 0002", listing);
    }

    [Fact]
    public async Task The_backend_reads_what_efibootmgr_writes()
    {
        Efibootmgr("-o", "0002,0001,0000");
        var state = await Backend().ReadStateAsync(CancellationToken.None);
        Assert.Equal(["B", "A"], state.Order);
        Assert.True(state.Slot("B")!.Bootable);

        Efibootmgr("-o", "0001");
        Efibootmgr("-n", "0002");
        state = await Backend().ReadStateAsync(CancellationToken.None);
        Assert.Equal("B", state.NextBoot);
        Assert.Equal(new SlotBootState("B", true, 1, true), state.Slot("B"));

        // An inactive option is one the firmware skips: activating it is refused, and nothing changes.
        Efibootmgr("-N");
        Efibootmgr("-b", "0002", "-A");
        var files = Files();
        var e = await Assert.ThrowsAsync<BootEnvironmentException>(() => Backend().ActivateAsync("B", BootActivation.Trial, CancellationToken.None));
        Assert.Contains("Boot0002", e.Message);
        Assert.Contains("inactive", e.Message);
        Assert.Equal(files, Files());
    }

    [Fact]
    public async Task A_missing_boot_option_or_a_torn_BootOrder_is_an_error_naming_the_variable_and_changes_nothing()
    {
        File.Delete(Global("Boot0002"));
        var e = await Assert.ThrowsAsync<BootEnvironmentException>(() => Backend().ActivateAsync("B", BootActivation.Trial, CancellationToken.None));
        Assert.Contains("Boot0002-8be4df61", e.Message);
        Assert.Contains("efibootmgr --create", e.Message);
        WriteLoadOption(BootB, "updater B", @"\EFI\b\grubx64.efi");

        File.WriteAllBytes(Global("BootOrder"), [7, 0, 0, 0, 1, 0, 0]);
        var files = Files();
        e = await Assert.ThrowsAsync<BootEnvironmentException>(() => Backend().ActivateAsync("B", BootActivation.Trial, CancellationToken.None));
        Assert.Contains("BootOrder-8be4df61", e.Message);
        Assert.Contains("byte offset 6", e.Message);
        Assert.Equal(files, Files());
    }

    [Fact]
    public async Task A_marker_that_names_no_slot_is_shown_and_overwritten_never_trusted()
    {
        File.WriteAllBytes(EfiVariable.PathOf(Efivars, "UpdaterTrial", EfiVariable.UpdaterVendor), EfiVariable.Encode("B\u001b[2J", EfiVariable.NonVolatileAttributes));
        var backend = Backend();
        var state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.Equal(new SlotBootState("B", false, 0, false), state.Slot("B"));
        Assert.StartsWith("unreadable", state.Variables["UpdaterTrial"]);
        Assert.DoesNotContain('\u001b', state.Variables["UpdaterTrial"]);
        await backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Assert.Equal("B", EfiVariable.ReadString(Efivars, "UpdaterTrial", EfiVariable.UpdaterVendor));
    }

    [Fact]
    public async Task The_security_floor_is_a_variable_of_its_own_raised_before_the_commit_and_never_lowered()
    {
        var backend = Backend();
        await backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Boot();
        var cut = new StepCutWriter(1);
        await Assert.ThrowsAsync<PowerCutException>(() => Backend(cut).MarkGoodAsync("B", 7, CancellationToken.None));
        var state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.Equal("7", state.SecurityFloorText);
        Assert.True(state.Slot("B")!.Trial);

        await backend.MarkGoodAsync("B", 7, CancellationToken.None);
        await backend.MarkGoodAsync("B", 3, CancellationToken.None);
        state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.Equal("7", state.SecurityFloorText);
        Assert.False(state.Slot("B")!.Trial);
    }

    /// <summary>
    /// A power cut after each of the variable writes of a trial, a commit and a bad mark: every state in between is
    /// the old one, the new one, or (only between the trial's marker and BootNext) a trial that never got its boot.
    /// </summary>
    [Fact]
    public async Task A_cut_between_any_two_writes_leaves_a_state_that_was_meant()
    {
        async Task<(SlotBootState A, SlotBootState B)> Slots()
        {
            var s = await Backend().ReadStateAsync(CancellationToken.None);
            return (s.Slot("A")!, s.Slot("B")!);
        }
        var fresh = Files();
        var committedA = new SlotBootState("A", true, SlotBootState.Uncounted, false);
        var bad = new SlotBootState("B", false, 0, false);
        var pending = new SlotBootState("B", true, 1, true);
        var tried = new SlotBootState("B", true, 0, true);
        var committedB = new SlotBootState("B", true, SlotBootState.Uncounted, false);

        var seen = new List<SlotBootState>();
        for (int steps = 0; ; steps++)
        {
            Restore(fresh);
            var cut = new StepCutWriter(steps);
            try
            {
                await Backend(cut).ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
            }
            catch (PowerCutException)
            {
                var (a, b) = await Slots();
                Assert.Equal(committedA, a);
                Assert.Contains(b, new[] { bad, tried });
                Assert.True(steps > 0 || b == bad);
                seen.Add(b);
                continue;
            }
            Assert.Equal(pending, (await Slots()).B);
            Assert.Equal(2, steps);
            break;
        }
        Assert.Equal([bad, tried], seen);

        Restore(fresh);
        await Backend().ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Boot();
        var trialBooted = Files();
        for (int steps = 0; ; steps++)
        {
            Restore(trialBooted);
            try
            {
                await Backend(new StepCutWriter(steps)).MarkGoodAsync("B", CancellationToken.None);
            }
            catch (PowerCutException)
            {
                Assert.Equal(steps == 0 ? tried : committedB, (await Slots()).B);
                continue;
            }
            Assert.Equal(committedB, (await Slots()).B);
            Assert.Equal([BootB, BootA, Shell], Read("BootOrder"));
            break;
        }

        Restore(fresh);
        await Backend().ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        var trialPending = Files();
        for (int steps = 0; ; steps++)
        {
            Restore(trialPending);
            try
            {
                await Backend(new StepCutWriter(steps)).MarkBadAsync("B", CancellationToken.None);
            }
            catch (PowerCutException)
            {
                // BootNext goes first: what is left is the marker alone, a trial that got no boot; never a trial
                // that boots a slot the updater has started to overwrite.
                Assert.Contains((await Slots()).B, new[] { pending, tried });
                continue;
            }
            Assert.Equal(bad, (await Slots()).B);
            break;
        }
    }

    private void Restore(Dictionary<string, byte[]> files)
    {
        foreach (string path in Directory.GetFiles(Efivars))
        {
            File.Delete(path);
        }
        foreach (var (name, bytes) in files)
        {
            File.WriteAllBytes(Path.Combine(Efivars, name), bytes);
        }
    }

    private string Efibootmgr(params string[] args)
    {
        var start = ProcessRunner.StartInfo("efibootmgr", args);
        start.Environment["EFIVARFS_PATH"] = Efivars + "/";
        var result = ProcessRunner.RunAsync(start).GetAwaiter().GetResult();
        Assert.True(result.ExitCode == 0, $"efibootmgr {string.Join(' ', args)}: exit {result.ExitCode}: {result.Output}");
        return result.Stdout;
    }

    /// <summary>A power cut after <paramref name="steps"/> whole variable writes or deletes (each one atomic).</summary>
    private sealed class StepCutWriter(int steps) : DurableWriter
    {
        private int _done;

        public override Task ReplaceAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
            Step() ? base.ReplaceAsync(path, content, cancellationToken) : throw new PowerCutException();

        public override Task DeleteAsync(string path, CancellationToken cancellationToken) =>
            Step() ? base.DeleteAsync(path, cancellationToken) : throw new PowerCutException();

        private bool Step() => _done++ < steps;
    }
}
