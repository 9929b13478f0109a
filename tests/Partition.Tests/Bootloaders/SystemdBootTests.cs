// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Partition.Bootloaders;
using Partition.Bootloaders.Efi;
using Partition.Bootloaders.SystemdBoot;
using Partition.Storage;
using Partition.Tests.Support;
using TestSupport;

namespace Partition.Tests.Bootloaders;

/// <summary>
/// The systemd-boot backend on an ESP made of a directory: what it writes is read back by the real `bootctl list`
/// (Debian's, v252), and boots are what systemd-boot does to the names (<see cref="SystemdBootRule"/>).
/// </summary>
public sealed class SystemdBootTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public SystemdBootTests()
    {
        Directory.CreateDirectory(Entries);
        Directory.CreateDirectory(_dir.Path("efivars"));
        foreach (string slot in new[] { "a", "b" })
        {
            Directory.CreateDirectory(_dir.Path(slot));
            File.WriteAllText(_dir.Path($"{slot}/vmlinuz"), "kernel");
        }
        // A device as an integrator provisions it: A committed at generation 1, B never written (+0).
        WriteEntry("updater-1-a.conf", "a");
        WriteEntry("updater-0-b+0.conf", "b");
    }

    public void Dispose() => _dir.Dispose();

    private string Entries => _dir.Path("loader/entries");

    private SystemdBootloader Backend(DurableWriter? writer = null) =>
        new(new SystemdBootOptions(_dir.Root, EfiVariables: _dir.Path("efivars")), writer ?? DurableWriter.Instance);

    private void WriteEntry(string name, string slot, string extra = "") =>
        File.WriteAllText(Path.Combine(Entries, name), $"title Device (slot {slot.ToUpperInvariant()})\nlinux /{slot}/vmlinuz\noptions root=PARTLABEL=rootfs-{slot} updater.slot={slot.ToUpperInvariant()}\n{extra}");

    private string[] Names() => Directory.GetFiles(Entries).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    /// <summary>One power-on as systemd-boot makes it: the first entry by its order, renamed when counted.</summary>
    private string? Boot()
    {
        var ours = Names().Select(n => SystemdBootEntryName.Parse(n, "updater", Entries)).OfType<SystemdBootEntryName>().ToList();
        var (slot, before, after) = SystemdBootRule.Decide(ours);
        if (before is not null && after is not null && before != after)
        {
            File.Move(Path.Combine(Entries, before.FileName), Path.Combine(Entries, after.FileName));
        }
        return slot;
    }

    [Fact]
    public async Task A_fresh_device_boots_A_committed_and_never_B()
    {
        var state = await Backend().ReadStateAsync(CancellationToken.None);
        Assert.Equal("A", state.NextBoot);
        Assert.Equal(new SlotBootState("A", true, SlotBootState.Uncounted, false), state.Slot("A"));
        Assert.Equal(new SlotBootState("B", false, 0, false), state.Slot("B"));
        Assert.Equal("A", Boot());
        Assert.Equal(["updater-0-b+0.conf", "updater-1-a.conf"], Names());
    }

    [Fact]
    public async Task A_trial_is_one_rename_that_systemd_boot_counts_down_and_then_falls_back_from()
    {
        var backend = Backend();
        await backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Assert.Equal(["updater-1-a.conf", "updater-2-b+3.conf"], Names());
        var state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.Equal("B", state.NextBoot);
        Assert.Equal(new SlotBootState("B", true, 3, true), state.Slot("B"));

        Assert.Equal("B", Boot());
        Assert.Equal("updater-2-b+2-1.conf", Names()[1]);
        Assert.Equal("B", Boot());
        Assert.Equal("B", Boot());
        Assert.Equal("updater-2-b+0-3.conf", Names()[1]);
        state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.Equal(new SlotBootState("B", true, 0, true), state.Slot("B"));
        Assert.Equal("A", state.NextBoot);
        Assert.Equal("A", Boot());
    }

    [Fact]
    public async Task A_commit_drops_the_counter_as_systemd_bless_boot_good_does()
    {
        var backend = Backend();
        await backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Assert.Equal("B", Boot());
        await backend.MarkGoodAsync("B", CancellationToken.None);
        Assert.Equal(["updater-1-a.conf", "updater-2-b.conf"], Names());
        Assert.Equal("B", Boot());
        Assert.Equal("B", Boot());
        Assert.Equal(["updater-1-a.conf", "updater-2-b.conf"], Names());
    }

    [Fact]
    public async Task Mark_bad_renames_to_plus_zero_which_sorts_last_and_a_manual_rollback_takes_the_next_generation()
    {
        var backend = Backend();
        await backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        await backend.MarkGoodAsync("B", CancellationToken.None);
        await backend.ActivateAsync("A", BootActivation.Permanent, CancellationToken.None);
        Assert.Equal(["updater-2-b.conf", "updater-3-a.conf"], Names());
        Assert.Equal("A", Boot());
        await backend.MarkBadAsync("B", CancellationToken.None);
        Assert.Equal(["updater-2-b+0.conf", "updater-3-a.conf"], Names());
        var state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.Equal(new SlotBootState("B", false, 0, false), state.Slot("B"));
        Assert.Equal("A", state.NextBoot);
    }

    [Fact]
    public async Task A_change_that_changes_nothing_renames_nothing()
    {
        var backend = Backend();
        await backend.MarkGoodAsync("A", CancellationToken.None);
        await backend.ActivateAsync("A", BootActivation.Permanent, CancellationToken.None);
        Assert.Equal(["updater-0-b+0.conf", "updater-1-a.conf"], Names());
    }

    [Fact]
    public async Task The_security_floor_goes_to_its_file_before_the_rename_and_never_down()
    {
        var backend = Backend();
        await backend.ActivateAsync("B", BootActivation.Trial, 7, CancellationToken.None);
        Assert.Equal("7\n", File.ReadAllText(_dir.Path("loader/updater-security-floor")));
        await backend.MarkGoodAsync("B", 3, CancellationToken.None);
        var state = await backend.ReadStateAsync(CancellationToken.None);
        Assert.Equal("7", state.SecurityFloorText);
    }

    [Theory]
    [InlineData("missing kernel")]
    [InlineData("loader.conf default")]
    [InlineData("LoaderEntryDefault")]
    [InlineData("sort-key")]
    public async Task What_systemd_boot_would_not_follow_is_refused_with_nothing_renamed(string problem)
    {
        string expected;
        switch (problem)
        {
            case "missing kernel":
                File.Delete(_dir.Path("b/vmlinuz"));
                expected = "/b/vmlinuz is not on the ESP";
                break;
            case "loader.conf default":
                File.WriteAllText(_dir.Path("loader/loader.conf"), "timeout 0\ndefault updater-1-a.conf\n");
                expected = "loader.conf: line 2: default is 'updater-1-a.conf'";
                break;
            case "LoaderEntryDefault":
                File.WriteAllBytes(_dir.Path($"efivars/LoaderEntryDefault-{EfiVariable.LoaderVendor}"), EfiVariable.Encode("updater-1-a.conf"));
                expected = "EFI variable LoaderEntryDefault is 'updater-1-a.conf'";
                break;
            default:
                File.Delete(Path.Combine(Entries, "updater-0-b+0.conf"));
                WriteEntry("updater-0-b+0.conf", "b", "sort-key zzz\n");
                expected = "'sort-key' is 'zzz' here but unset in updater-1-a.conf";
                break;
        }
        var before = Names();
        var e = await Assert.ThrowsAsync<BootEnvironmentException>(() => Backend().ActivateAsync("B", BootActivation.Trial, CancellationToken.None));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Names());
    }

    [Fact]
    public async Task Two_entries_for_one_slot_are_an_error_naming_both()
    {
        WriteEntry("updater-2-b+3.conf", "b");
        var e = await Assert.ThrowsAsync<BootEnvironmentException>(() => Backend().ReadStateAsync(CancellationToken.None));
        Assert.Contains("2 entries for slot B (updater-0-b+0.conf, updater-2-b+3.conf)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_systemd_boot_would_hide_is_named_as_a_problem_and_refused_as_a_target()
    {
        // What a power cut right after an activation rename left on FAT when the renamed file was not flushed: the
        // new name on an empty file, which systemd-boot skips (it booted A) while the name says B is on trial.
        var backend = Backend();
        await backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        string trial = Assert.Single(Names(), n => n.StartsWith("updater-2-b+", StringComparison.Ordinal));
        File.WriteAllBytes(Path.Combine(Entries, trial), []);
        var state = await backend.ReadStateAsync(CancellationToken.None);
        var problem = Assert.Single(state.Problems);
        Assert.Contains($"{trial} has no 'linux' or 'efi' line", problem, StringComparison.Ordinal);
        Assert.Contains("systemd-boot will not boot slot B", problem, StringComparison.Ordinal);

        // A kernel missing from the ESP hides it as well; the healthy entry of A is no problem.
        WriteEntry(trial, "b");
        Assert.Empty((await backend.ReadStateAsync(CancellationToken.None)).Problems);
        File.Delete(_dir.Path("b/vmlinuz"));
        Assert.Contains("/b/vmlinuz is not on the ESP", Assert.Single((await backend.ReadStateAsync(CancellationToken.None)).Problems), StringComparison.Ordinal);
        await Assert.ThrowsAsync<BootEnvironmentException>(() => backend.ActivateAsync("B", BootActivation.Permanent, CancellationToken.None));
    }

    [Fact]
    public async Task A_slot_without_an_entry_is_an_error_that_says_what_to_create()
    {
        File.Delete(Path.Combine(Entries, "updater-0-b+0.conf"));
        var e = await Assert.ThrowsAsync<BootEnvironmentException>(() => Backend().ReadStateAsync(CancellationToken.None));
        Assert.Contains("has no entry updater-N-b[+LEFT[-DONE]].conf for slot B", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task What_systemd_boot_left_in_efivarfs_is_shown()
    {
        File.WriteAllBytes(_dir.Path($"efivars/LoaderEntrySelected-{EfiVariable.LoaderVendor}"), EfiVariable.Encode("updater-2-b+3.conf"));
        File.WriteAllBytes(_dir.Path($"efivars/LoaderBootCountPath-{EfiVariable.LoaderVendor}"), EfiVariable.Encode(@"\loader\entries\updater-2-b+2-1.conf"));
        var state = await Backend().ReadStateAsync(CancellationToken.None);
        Assert.Equal("updater-2-b+3.conf", state.Variables["LoaderEntrySelected"]);
        Assert.Equal(@"\loader\entries\updater-2-b+2-1.conf", state.Variables["LoaderBootCountPath"]);
        Assert.Equal("B", state.ReportedBoot);
    }

    [Fact]
    public async Task An_undecodable_efi_variable_is_shown_as_such_and_a_garbled_default_still_refuses_a_change()
    {
        File.WriteAllBytes(_dir.Path($"efivars/LoaderEntrySelected-{EfiVariable.LoaderVendor}"), [6, 0, 0, 0, 0x41]);
        File.WriteAllBytes(_dir.Path($"efivars/LoaderEntryDefault-{EfiVariable.LoaderVendor}"), [6, 0, 0, 0, 0x00, 0xd8, 0, 0]);
        var state = await Backend().ReadStateAsync(CancellationToken.None);
        Assert.StartsWith("unreadable: ", state.Variables["LoaderEntrySelected"], StringComparison.Ordinal);
        Assert.Null(state.ReportedBoot);
        var e = await Assert.ThrowsAsync<BootEnvironmentException>(() => Backend().ActivateAsync("B", BootActivation.Trial, CancellationToken.None));
        Assert.Contains("EFI variable LoaderEntryDefault is 'unreadable: ", e.Message, StringComparison.Ordinal);
        Assert.Equal(["updater-0-b+0.conf", "updater-1-a.conf"], Names());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_power_cut_before_or_after_the_rename_leaves_the_old_or_the_new_state(int renamesDone)
    {
        var backend = Backend(new PowerCutWriter(renamesDone));
        await Assert.ThrowsAsync<PowerCutException>(() => backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None));
        var state = await Backend().ReadStateAsync(CancellationToken.None);
        Assert.Equal(renamesDone == 0 ? "A" : "B", state.NextBoot);
        Assert.Equal(renamesDone == 0 ? ["updater-0-b+0.conf", "updater-1-a.conf"] : ["updater-1-a.conf", "updater-2-b+3.conf"], Names());
    }

    /// <summary>`bootctl list` (SYSTEMD_ESP_PATH points it at the directory) reads every state the backend writes.</summary>
    [Fact]
    public async Task Bootctl_reads_what_the_backend_writes()
    {
        var backend = Backend();
        await backend.ActivateAsync("B", BootActivation.Trial, CancellationToken.None);
        Assert.Equal("B", Boot());
        var entries = Bootctl();
        Assert.Equal(["updater-2-b.conf", "updater-1-a.conf"], entries.Select(e => e.GetProperty("id").GetString()));
        Assert.Equal(2, entries[0].GetProperty("triesLeft").GetInt32());
        Assert.Equal(1, entries[0].GetProperty("triesDone").GetInt32());
        Assert.False(entries[1].TryGetProperty("triesLeft", out _));

        await backend.MarkBadAsync("B", CancellationToken.None);
        entries = Bootctl();
        Assert.Equal(["updater-1-a.conf", "updater-2-b.conf"], entries.Select(e => e.GetProperty("id").GetString()));
        Assert.Equal(0, entries[1].GetProperty("triesLeft").GetInt32());
        Assert.Contains("title: Device (slot A) (default)", BootctlText(), StringComparison.Ordinal);
    }

    private List<JsonElement> Bootctl() =>
        RunBootctl("list", "--json=short").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();

    private string BootctlText() => RunBootctl("list", "--no-pager");

    private string RunBootctl(params string[] args)
    {
        var start = ProcessRunner.StartInfo("bootctl", args);
        start.Environment["SYSTEMD_ESP_PATH"] = _dir.Root;
        start.Environment["SYSTEMD_COLORS"] = "0";
        var result = ProcessRunner.RunAsync(start).GetAwaiter().GetResult();
        Assert.True(result.ExitCode == 0, $"bootctl {string.Join(' ', args)}: exit {result.ExitCode}: {result.Output}");
        return result.Stdout;
    }
}
