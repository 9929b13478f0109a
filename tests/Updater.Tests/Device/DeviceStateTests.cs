// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Partition.Booted;
using Partition.Bootloaders;
using Partition.Slots;
using Updater.Cli;
using Updater.Config;
using Updater.Device;
using Updater.Fleet;
using Updater.State;
using Updater.Tests.Support;

namespace Updater.Tests.Device;

/// <summary>
/// The device model on a two-class device (appfs listed before rootfs, as a board may well configure it): what a
/// side runs is one fact, asked by the installer, the rollout and `status` alike.
/// </summary>
public sealed class DeviceStateTests : IDisposable
{
    private readonly TestDevice _box = new(slotSize: 1 << 20);
    private readonly FakeBootloader _boot = new();
    private readonly UpdaterConfig _config;

    public DeviceStateTests()
    {
        foreach (string name in new[] { "app-a.img", "app-b.img" })
        {
            File.WriteAllBytes(_box.Path(name), new byte[1 << 20]);
        }
        File.WriteAllText(_box.ConfigPath, $"""
            [system]
            compatible = {TestDevice.Compatible}
            bootloader = grub
            grub-env = {_box.GrubEnv}
            state-dir = {_box.StateDir}
            trust-root = {_box.RootPath}
            booted-slot = A

            [slot.appfs.0]
            device = {_box.Path("app-a.img")}
            bootname = A

            [slot.appfs.1]
            device = {_box.Path("app-b.img")}
            bootname = B

            [slot.rootfs.0]
            device = {_box.SlotA}
            bootname = A

            [slot.rootfs.1]
            device = {_box.SlotB}
            bootname = B
            """);
        _config = _box.Config;
    }

    public void Dispose() => _box.Dispose();

    private DeviceContext Context => new(_config, _boot, detector: new BootedSlotDetector(_config.Slots, _box.Path("no-cmdline")));

    private Task<DeviceState> ReadAsync() => Context.ReadAsync(CancellationToken.None);

    private async Task RecordAsync(string slotName, string version, long securityVersion, int minutesAgo = 10)
    {
        var slot = _config.Slots.All.Single(s => s.Name == slotName);
        await Context.State.WriteSlotAsync(slot, new SlotRecord
        {
            Slot = slot.Name, Bootname = slot.Bootname, Version = version, SecurityVersion = securityVersion, Compatible = TestDevice.Compatible,
            ImageSha256 = new string('0', 64), ImageSize = 1, ManifestSha256 = new string('1', 64), SignedBy = "test",
            InstalledAt = DateTimeOffset.UnixEpoch.AddMinutes(1000 - minutesAgo),
        }, [], [], CancellationToken.None);
    }

    [Fact]
    public async Task A_side_whose_classes_hold_different_releases_has_no_version_and_says_so_everywhere()
    {
        // appfs.0 was last written by a 1.0.0 bundle, rootfs.0 by a rootfs-only 2.0.0 bundle.
        await RecordAsync("appfs.0", "1.0.0", securityVersion: 0, minutesAgo: 20);
        await RecordAsync("rootfs.0", "2.0.0", securityVersion: 3);

        var device = await ReadAsync();
        var booted = device.BootedSide;
        Assert.Equal("A", booted.Bootname);
        Assert.Null(booted.Version);
        Assert.Equal("the slots of side A do not hold one release (appfs.0 1.0.0, rootfs.0 2.0.0)", booted.VersionProblem);
        Assert.Equal(3, booted.SecurityVersion);
        Assert.Equal("2.0.0", booted.LastInstall!.Version);

        Assert.Null(DeviceFacts.From(device, "m", null).BootedVersion);
        // As a floor, the highest over the classes, whichever update.conf lists first (appfs here).
        Assert.Equal("2.0.0", DeviceFacts.From(device, "m", null).RunningVersion);
        var status = DeviceStatus.From(device, DateTimeOffset.UnixEpoch);
        Assert.Contains(booted.VersionProblem, status.Problems);
        Assert.Equal(["appfs.0", "appfs.1", "rootfs.0", "rootfs.1"], status.Slots.Select(s => s.Name));
    }

    [Fact]
    public async Task The_security_floor_is_the_highest_any_class_of_the_running_side_records()
    {
        await RecordAsync("appfs.0", "1.0.0", securityVersion: 0, minutesAgo: 20);
        await RecordAsync("rootfs.0", "2.0.0", securityVersion: 3);
        string image = _box.MakeImage("root.img", 256 << 10, seed: 7);
        string bundle = await _box.MakeBundleAsync("old.bundle", image, version: "2.1.0", securityVersion: 1);
        byte[] slotB = File.ReadAllBytes(_box.SlotB);

        await using var source = Updater.Transport.FileBundleSource.Open(bundle);
        var e = await Assert.ThrowsAsync<UpdaterException>(() =>
            new Updater.Install.Installer(Context).InstallAsync(source, new Updater.Install.InstallOptions(), null, CancellationToken.None));

        Assert.Equal(ExitCode.BadInput, e.ExitCode);
        Assert.Contains("security version 1 is lower than this device's anti-rollback floor 3 (from slot rootfs.0", e.Message, StringComparison.Ordinal);
        Assert.Empty(_boot.Calls);
        Assert.Equal(slotB, File.ReadAllBytes(_box.SlotB));
    }

    [Fact]
    public async Task No_release_goes_below_what_any_class_of_the_running_side_holds()
    {
        await RecordAsync("appfs.0", "1.0.0", securityVersion: 0, minutesAgo: 20);
        await RecordAsync("rootfs.0", "2.0.0", securityVersion: 0);
        string bundle = await _box.MakeBundleAsync("older.bundle", _box.MakeImage("root.img", 256 << 10, seed: 8), version: "1.5.0");

        await using var source = Updater.Transport.FileBundleSource.Open(bundle);
        var e = await Assert.ThrowsAsync<UpdaterException>(() =>
            new Updater.Install.Installer(Context).InstallAsync(source, new Updater.Install.InstallOptions(), null, CancellationToken.None));

        Assert.Contains("version 1.5.0 is older than the running 2.0.0", e.Message, StringComparison.Ordinal);
        Assert.Empty(_boot.Calls);
    }

    [Theory]
    [InlineData("booted", "A")]
    [InlineData("other", "B")]
    [InlineData("B", "B")]
    public async Task Operators_name_a_side_by_booted_other_or_bootname(string which, string bootname) =>
        Assert.Equal(bootname, (await ReadAsync()).Resolve(which).Bootname);

    [Fact]
    public async Task An_unknown_side_name_is_a_usage_error_listing_the_bootnames()
    {
        var e = Assert.Throws<UpdaterException>(() => ReadAsync().Result.Resolve("C"));
        Assert.Equal(ExitCode.Usage, e.ExitCode);
        Assert.Equal("'C' is not booted, other, or one of the bootnames A, B", e.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Without_a_booted_side_status_still_reads_and_names_the_problem()
    {
        var config = _config with { BootedSlot = "auto" };
        var context = new DeviceContext(config, _boot, detector: new BootedSlotDetector(config.Slots, _box.Path("no-cmdline"), _box.Root));
        var device = await context.ReadAsync(CancellationToken.None);

        Assert.Null(device.Booted);
        var status = DeviceStatus.From(device, DateTimeOffset.UnixEpoch);
        Assert.Contains(status.Problems, p => p.StartsWith("cannot tell which slot is booted", StringComparison.Ordinal));
        Assert.All(status.Slots, s => Assert.Equal(SlotContent.Unrecorded, s.State));
        var e = Assert.Throws<UpdaterException>(() => device.BootedSide);
        Assert.Equal(ExitCode.Refused, e.ExitCode);
    }

    [Fact]
    public async Task Status_json_keeps_the_documented_words_for_slot_content()
    {
        await RecordAsync("rootfs.1", "2.0.0", securityVersion: 0);
        await Context.State.WriteJournalAsync(new InstallJournal
        {
            ManifestSha256 = new string('2', 64), Version = "3.0.0", TargetBootname = "B", Source = "x.bundle", StartedAt = DateTimeOffset.UnixEpoch,
        }, CancellationToken.None);

        var json = JsonSerializer.Serialize(DeviceStatus.From(await ReadAsync(), DateTimeOffset.UnixEpoch), CliJsonContext.Default.StatusReport);
        var states = JsonDocument.Parse(json).RootElement.GetProperty("slots").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("state").GetString());

        Assert.Equal(new Dictionary<string, string?> { ["appfs.0"] = "booted", ["appfs.1"] = "installing", ["rootfs.0"] = "booted", ["rootfs.1"] = "installing" }, states);
    }

    [Fact]
    public async Task Rollback_records_and_fleet_reports_carry_the_reason_as_its_word()
    {
        var record = new RollbackRecord { FromSlot = "B", ToSlot = "A", Reason = RollbackReason.NoVerdict, Explanation = "x", DetectedAt = DateTimeOffset.UnixEpoch };
        await Context.State.WriteRollbackAsync(record, CancellationToken.None);

        Assert.Contains("\"reason\": \"no-verdict\"", File.ReadAllText(Path.Combine(_box.StateDir, "rollback.json")), StringComparison.Ordinal);
        Assert.Equal(RollbackReason.NoVerdict, Context.State.ReadRollback()!.Reason);
        var report = new FleetReport { Event = FleetEvent.Rollback, Time = DateTimeOffset.UnixEpoch, MachineId = "m", Compatible = "c", RollbackReason = RollbackReason.HealthFailed };
        Assert.Contains("\"rollback_reason\":\"health-failed\"", JsonSerializer.Serialize(report, FleetReportJsonContext.Default.FleetReport), StringComparison.Ordinal);
    }
}
