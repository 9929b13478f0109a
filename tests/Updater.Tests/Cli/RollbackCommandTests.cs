// SPDX-License-Identifier: Apache-2.0
using Updater.Tests.Support;

namespace Updater.Tests.Cli;

/// <summary>
/// `updater rollback`, `mark-good`, `mark-bad` and `status` through the real executable, with both backends,
/// checked with the real tools (grub-editenv, fw_printenv, bootctl, efibootmgr) that the bootloader's side would read.
/// </summary>
public sealed class RollbackCommandTests : IAsyncLifetime, IDisposable
{
    private readonly TestDevice _box = new(slotSize: 2 << 20);
    private string _bundle = "";

    public async Task InitializeAsync() =>
        _bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 41));

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _box.Dispose();

    public static TheoryData<string> Backends() => new() { "grub", "uboot", "systemd-boot", "efi" };

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Install_commit_then_roll_back_by_hand(string backend)
    {
        UseBackend(backend);
        await Ok("install", _bundle);
        Assert.Equal("B A", Order(backend));
        await Ok("--booted-slot", "B", "mark-good");
        Assert.Equal("B A", Order(backend));

        // --reboot runs the configured reboot command after the environment write.
        File.AppendAllText(_box.ConfigPath, $"\n[health]\nreboot-command = touch {_box.Path("rebooted")}\n");
        var (_, json, _) = await Ok("--booted-slot", "B", "rollback", "--json", "--reboot");
        Assert.True(File.Exists(_box.Path("rebooted")));
        Assert.Contains("\"next_boot\": \"A\"", json, StringComparison.Ordinal);
        Assert.Equal("A B", Order(backend));
        var (_, status, _) = await Ok("--booted-slot", "B", "status", "--json");
        Assert.Contains("\"next_boot\": \"A\"", status, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Rollback_refuses_a_slot_with_no_image_and_changes_nothing(string backend)
    {
        UseBackend(backend);
        // Fresh device: B was never written, the bootloader marks it bad.
        await Ok("status");
        byte[] before = await File.ReadAllBytesAsync(EnvFile(backend));
        var (code, _, stderr) = await UpdaterProcess.RunAsync("--config", _box.ConfigPath, "rollback");
        Assert.Equal((int)ExitCode.Refused, code);
        Assert.Contains("slot B", stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(EnvFile(backend)));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Mark_bad_refuses_the_last_bootable_slot_unless_forced(string backend)
    {
        // Found by tests/explore: on a fresh device (B never written) `mark-bad booted` left nothing bootable,
        // and the bootloader stops at its prompt (dist/grub.cfg's menu, dist/boot.cmd's "NO BOOTABLE SLOT").
        UseBackend(backend);
        await Ok("status");
        byte[] before = await File.ReadAllBytesAsync(EnvFile(backend));
        var (code, _, stderr) = await UpdaterProcess.RunAsync("--config", _box.ConfigPath, "mark-bad", "booted");
        Assert.Equal((int)ExitCode.Refused, code);
        Assert.Contains("nothing would be left to boot", stderr, StringComparison.Ordinal);
        Assert.Contains("--force", stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(EnvFile(backend)));

        // Nor is a trial a fallback: if it fails, nothing is left (tests/explore: install, then mark-bad booted).
        await Ok("install", _bundle);
        (code, _, stderr) = await UpdaterProcess.RunAsync("--config", _box.ConfigPath, "mark-bad", "booted");
        Assert.Equal((int)ExitCode.Refused, code);
        Assert.Contains("only on trial", stderr, StringComparison.Ordinal);

        // Once the other slot is committed it is allowed; with --force always.
        await Ok("--booted-slot", "B", "mark-good");
        await Ok("mark-bad", "booted");
        await Ok("--booted-slot", "B", "mark-bad", "booted", "--force");
        var (_, status, _) = await UpdaterProcess.RunAsync("--config", _box.ConfigPath, "--booted-slot", "B", "status", "--json");
        Assert.Contains("the bootloader has no bootable slot", status, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Rollback_refuses_a_slot_whose_trial_ran_out_without_a_verdict(string backend)
    {
        // Found by tests/explore: install, boot, boot (the trial's try used up, the bootloader back on A), then
        // rollback committed B, which never passed its checks; a B that panics would then boot forever.
        UseBackend(backend);
        await Ok("install", _bundle);
        if (backend == "grub")
        {
            ProcessRunner.RunChecked("grub-editenv", _box.GrubEnv, "set", "B_TRY=1");
        }
        else if (backend == "systemd-boot")
        {
            // What systemd-boot leaves after booting B three times: +0-3, sorted last.
            File.Move(_box.Path("esp/loader/entries/updater-2-b+3.conf"), _box.Path("esp/loader/entries/updater-2-b+0-3.conf"));
        }
        else if (backend == "efi")
        {
            // What the firmware leaves after B's one boot: BootNext deleted.
            Efibootmgr("-N");
        }
        else
        {
            ProcessRunner.RunChecked("fw_setenv", "-c", _box.Path("fw_env.config"), "BOOT_B_LEFT", "0");
        }
        byte[] before = await File.ReadAllBytesAsync(EnvFile(backend));
        var (code, _, stderr) = await UpdaterProcess.RunAsync("--config", _box.ConfigPath, "rollback");
        Assert.Equal((int)ExitCode.Refused, code);
        Assert.Contains("never passed its health checks", stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(EnvFile(backend)));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_halt_never_cancels_the_committed_side_the_device_falls_back_to(string backend)
    {
        // Found by tests/explore: install, boot into B, mark-bad B, then a halted channel: `check --install` took
        // the committed A (next boot, bootable) for a staged release and marked it bad too, leaving nothing to boot.
        UseBackend(backend);
        await Ok("install", _bundle);
        await Ok("--booted-slot", "B", "mark-bad", "booted");
        string channel = _box.Path("stable.channel");
        await Ok("channel", "create", "-o", channel, "--channel-version", "1", "--compatible", TestDevice.Compatible, "--release", "2.0.0",
            "--bundle-url", _bundle, "--bundle", _bundle, "--halt", "-k", RepositoryPaths.Fixture("keys/TEST-ONLY-DO-NOT-SHIP.key"));
        _box.AppendConfig($"[channel]\nurl = {channel}\nname = stable");
        await Ok("--booted-slot", "B", "check", "--install");
        var (_, status, _) = await Ok("--booted-slot", "B", "status", "--json");
        Assert.Contains("\"next_boot\": \"A\"", status, StringComparison.Ordinal);
        Assert.DoesNotContain("no bootable slot", status, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Install_refuses_to_overwrite_the_only_committed_slot_from_a_slot_marked_bad(string backend)
    {
        // Found by tests/explore: install, boot into B, mark-bad B, install again from B: it wrote A, the committed
        // slot the bootloader was about to fall back to, as a trial; one failed boot later nothing was bootable.
        UseBackend(backend);
        await Ok("install", _bundle);
        await Ok("--booted-slot", "B", "mark-bad", "booted");
        byte[] before = await File.ReadAllBytesAsync(EnvFile(backend));
        string slotA = TestDevice.Sha256Of(_box.SlotA);
        var (code, _, stderr) = await UpdaterProcess.RunAsync("--config", _box.ConfigPath, "--booted-slot", "B", "install", _bundle);
        Assert.Equal((int)ExitCode.Refused, code);
        Assert.Contains("the only slot the device can fall back to", stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(EnvFile(backend)));
        Assert.Equal(slotA, TestDevice.Sha256Of(_box.SlotA));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Rollback_refuses_a_pending_trial_and_an_unfinished_install(string backend)
    {
        UseBackend(backend);
        await Ok("install", _bundle);
        var (code, _, stderr) = await UpdaterProcess.RunAsync("--config", _box.ConfigPath, "rollback");
        Assert.Equal((int)ExitCode.Refused, code);
        Assert.Contains("waiting for its trial boot", stderr, StringComparison.Ordinal);

        // An install interrupted after it started writing: the journal says B is incomplete.
        await Ok("mark-bad", "B");
        await File.WriteAllTextAsync(Path.Combine(_box.StateDir, "install.json"), """
            {"manifest_sha256":"00","version":"3.0.0","target_bootname":"B","source":"x.bundle","started_at":"2026-11-28T00:00:00+00:00"}
            """);
        (code, _, stderr) = await UpdaterProcess.RunAsync("--config", _box.ConfigPath, "mark-good", "B");
        Assert.Equal((int)ExitCode.Refused, code);
        Assert.Contains("was interrupted, its image is incomplete", stderr, StringComparison.Ordinal);
        // A listed problem is exit 8, the report printed whole.
        var (_, status, _) = await Problems("status");
        Assert.Contains("was interrupted; run it again to finish", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_and_config_errors_have_their_own_exit_codes()
    {
        Assert.Equal((int)ExitCode.Usage, (await UpdaterProcess.RunAsync("--config", _box.ConfigPath, "mark-good", "C")).ExitCode);
        Assert.Equal((int)ExitCode.Usage, (await UpdaterProcess.RunAsync("install")).ExitCode);
        await File.WriteAllTextAsync(_box.ConfigPath, _box.ConfigText().Replace("grub-env", "grub-envv", StringComparison.Ordinal));
        var (code, _, stderr) = await UpdaterProcess.RunAsync("--config", _box.ConfigPath, "status");
        Assert.Equal((int)ExitCode.Config, code);
        Assert.Contains(_box.ConfigPath + ":", stderr, StringComparison.Ordinal);
        Assert.Contains("grub-envv", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_names_a_boot_entry_that_started_another_slot_than_its_command_line_says()
    {
        // systemd-boot's LoaderEntrySelected says which entry it started; a slot detected otherwise means an entry
        // whose options carry the wrong updater.slot=.
        UseBackend("systemd-boot");
        await File.WriteAllBytesAsync(_box.Path($"efivars/LoaderEntrySelected-{Partition.Bootloaders.Efi.EfiVariable.LoaderVendor}"),
            Partition.Bootloaders.Efi.EfiVariable.Encode("updater-0-b+0.conf"));
        var (_, stdout, _) = await Problems("status");
        Assert.Contains("the bootloader reports it started slot B, but the booted slot is A", stdout, StringComparison.Ordinal);
        await File.WriteAllBytesAsync(_box.Path($"efivars/LoaderEntrySelected-{Partition.Bootloaders.Efi.EfiVariable.LoaderVendor}"),
            Partition.Bootloaders.Efi.EfiVariable.Encode("updater-1-a.conf"));
        (_, stdout, _) = await Ok("status");
        Assert.DoesNotContain("reports it started", stdout, StringComparison.Ordinal);
    }

    private void UseBackend(string backend)
    {
        File.WriteAllText(_box.ConfigPath, _box.ConfigText(backend: backend));
        if (backend == "uboot")
        {
            // An empty single-copy environment with a valid CRC, as a board's build would provision it.
            string empty = _box.Path("empty-env.txt");
            File.WriteAllText(empty, "");
            ProcessRunner.RunChecked("mkenvimage", "-s", "0x4000", "-o", _box.UBootEnv, empty);
            File.WriteAllText(_box.Path("fw_env.config"), $"{_box.UBootEnv} 0x0 0x4000\n");
        }
        if (backend == "systemd-boot")
        {
            // The ESP as an integrator provisions it: an entry per slot and the kernels they name; A committed at
            // generation 1, B never written (+0, which systemd-boot sorts last).
            Directory.CreateDirectory(_box.Path("esp/loader/entries"));
            Directory.CreateDirectory(_box.Path("efivars"));
            foreach (string slot in new[] { "a", "b" })
            {
                Directory.CreateDirectory(_box.Path($"esp/{slot}"));
                File.WriteAllText(_box.Path($"esp/{slot}/vmlinuz"), "kernel");
                File.WriteAllText(_box.Path($"esp/loader/entries/updater-{(slot == "a" ? "1-a" : "0-b+0")}.conf"),
                    $"title Test device ({slot})\nlinux /{slot}/vmlinuz\noptions updater.slot={slot.ToUpperInvariant()}\n");
            }
        }
        if (backend == "efi")
        {
            // The NVRAM as an integrator provisions it: one boot option per slot; A in BootOrder, B not (never written).
            Directory.CreateDirectory(_box.Path("efivars"));
            WriteLoadOption(1, "updater A");
            WriteLoadOption(2, "updater B");
            Efibootmgr("-o", "0001");
        }
    }

    private void WriteLoadOption(ushort number, string description) =>
        File.WriteAllBytes(_box.Path($"efivars/Boot{number:X4}-{Partition.Bootloaders.Efi.EfiVariable.GlobalVendor}"),
            Partition.Bootloaders.Efi.EfiLoadOption.Encode(description, $"\\EFI\\{description[^1]}\\grubx64.efi"));

    private string EnvFile(string backend) => backend switch
    {
        "uboot" => _box.UBootEnv,
        "systemd-boot" => EntryNames(),
        "efi" => Variables(),
        _ => _box.GrubEnv,
    };

    /// <summary>systemd-boot's state is the entries' names: a file listing them, so "the bytes are unchanged" compares them.</summary>
    private string EntryNames()
    {
        string listing = _box.Path("entry-names");
        File.WriteAllLines(listing, Directory.GetFiles(_box.Path("esp/loader/entries")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);
        return listing;
    }

    /// <summary>The firmware's state is a directory of variables: a file of their names and bytes, so "unchanged" compares them.</summary>
    private string Variables()
    {
        string listing = _box.Path("efi-variables");
        File.WriteAllLines(listing, Directory.GetFiles(_box.Path("efivars")).Order(StringComparer.Ordinal)
            .Select(p => $"{Path.GetFileName(p)} {Convert.ToHexString(File.ReadAllBytes(p))}"));
        return listing;
    }

    /// <summary>The slots in the order the firmware tries them, as efibootmgr reads it: BootNext, then BootOrder.</summary>
    private string EfibootmgrOrder()
    {
        var lines = Efibootmgr().Split('\n');
        string next = lines.FirstOrDefault(l => l.StartsWith("BootNext: ", StringComparison.Ordinal))?[10..] ?? "";
        string order = lines.FirstOrDefault(l => l.StartsWith("BootOrder: ", StringComparison.Ordinal))?[11..] ?? "";
        var slots = (next + "," + order).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(n => n.Trim() switch { "0001" => "A", "0002" => "B", _ => null }).OfType<string>();
        return string.Join(' ', slots.Distinct());
    }

    private string Efibootmgr(params string[] args)
    {
        var start = ProcessRunner.StartInfo("efibootmgr", args);
        start.Environment["EFIVARFS_PATH"] = _box.Path("efivars") + "/";
        var result = ProcessRunner.RunAsync(start).GetAwaiter().GetResult();
        Assert.True(result.ExitCode == 0, result.Output);
        return result.Stdout;
    }

    /// <summary>The boot order as the real tool reads it.</summary>
    private string Order(string backend) => backend switch
    {
        "uboot" => ProcessRunner.RunChecked("fw_printenv", "-c", _box.Path("fw_env.config"), "-n", "BOOT_ORDER").Stdout.Trim(),
        "systemd-boot" => BootctlOrder(),
        "efi" => EfibootmgrOrder(),
        _ => new GrubEnvFile(_box.GrubEnv).List()["ORDER"],
    };

    /// <summary>The entries in the order `bootctl list` sorts them (systemd-boot's: +0 last, then newest name first), as slots.</summary>
    private string BootctlOrder()
    {
        var start = ProcessRunner.StartInfo("bootctl", "list", "--json=short");
        start.Environment["SYSTEMD_ESP_PATH"] = _box.Path("esp");
        var result = ProcessRunner.RunAsync(start).GetAwaiter().GetResult();
        Assert.True(result.ExitCode == 0, result.Output);
        return string.Join(' ', result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("id").GetString()!)
            .Select(id => id.Split('-')[2][..1].ToUpperInvariant()));
    }

    private Task<ProcessResult> Ok(params string[] args) => UpdaterProcess.ExpectAsync(0, ["--config", _box.ConfigPath, .. args]);

    private Task<ProcessResult> Problems(params string[] args) => UpdaterProcess.ExpectAsync((int)ExitCode.ProblemsListed, ["--config", _box.ConfigPath, .. args]);
}
