// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Definitions;
using Partition.Bootloaders.Grub;
using Updater.Device;
using Updater.Events;
using Updater.Install;
using Updater.Tests.Support;
using Updater.Transport;
using Updater.Verdict;

namespace Updater.Tests.Events;

/// <summary>
/// Which events the core emits, with which fields, for every path through an update: installs that succeed and
/// fail, a verdict each way, the rollback found after it, and an operator's marks. The device is real (file slots,
/// grubenv through the GRUB backend); the sink records.
/// </summary>
public sealed class CoreEventsTests : IDisposable
{
    private readonly TestDevice _box = new(slotSize: 1 << 20);
    private readonly GrubBootloader _grub;
    private readonly RecordedEvents _events = new();

    public CoreEventsTests()
    {
        _grub = new GrubBootloader(new GrubOptions(_box.GrubEnv));
    }

    public void Dispose() => _box.Dispose();

    [Fact]
    public async Task An_install_announces_its_start_and_its_success_with_slot_version_and_manifest_hash()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 256 << 10, seed: 71), version: "2.0.0");
        string sha = await TestChannels.ManifestShaAsync(bundle);

        await InstallAsync(bundle);

        Assert.Equal(["install-started", "install-succeeded"], _events.Names);
        Assert.All(_events.All, e => Assert.Equal(("B", "2.0.0", sha), (e.Slot, e.Version, e.BundleSha256)));
        Assert.Contains("installed 2.0.0 into slot B", _events.All[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_install_names_the_release_it_verified_and_the_error()
    {
        string bundle = await _box.MakeBundleAsync("other.bundle", _box.MakeImage("v2.img", 256 << 10, seed: 72), version: "2.0.0", compatible: "other-board");

        await Assert.ThrowsAsync<UpdaterException>(() => InstallAsync(bundle));

        var failed = _events.Single(UpdateEventTypes.InstallFailed);
        Assert.Equal(["install-failed"], _events.Names);
        Assert.Equal("2.0.0", failed.Version);
        Assert.Contains("bundle is for 'other-board'", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bundle_that_fails_verification_is_a_failure_that_claims_no_version()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 256 << 10, seed: 73), version: "2.0.0");
        // The manifest's version string, changed after signing: nothing unsigned may reach the journal as a fact.
        byte[] bytes = await File.ReadAllBytesAsync(bundle);
        int at = IndexOf(bytes, "\"2.0.0\""u8);
        bytes[at + 1] = (byte)'9';
        await File.WriteAllBytesAsync(bundle, bytes);

        await Assert.ThrowsAsync<UpdaterException>(() => InstallAsync(bundle));

        var failed = _events.Single(UpdateEventTypes.InstallFailed);
        Assert.Null(failed.Version);
        Assert.Null(failed.BundleSha256);
        Assert.Null(failed.Slot);
        Assert.Contains(bundle, failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_trial_is_health_failed_then_marked_bad_and_the_next_boot_reports_the_rollback()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 256 << 10, seed: 74), version: "2.0.0");
        string sha = await TestChannels.ManifestShaAsync(bundle);
        await InstallAsync(bundle);
        _events.All.Clear();
        var failing = new HealthCheckDefinition("app", HealthCheckKind.Command, "echo app is down; false", "test.conf:1");

        await JudgeAsync("B", [failing]);

        Assert.Equal(["health-failed", "slot-marked-bad"], _events.Names);
        var health = _events.All[0];
        Assert.Equal(("B", "2.0.0", sha), (health.Slot, health.Version, health.BundleSha256));
        Assert.Contains("app: ", health.Error, StringComparison.Ordinal);
        Assert.Equal(("B", "verdict"), (_events.All[1].Slot, _events.All[1].Reason));

        // GRUB boots A; its verdict finds the rollback first.
        _events.All.Clear();
        await JudgeAsync("A", []);

        Assert.Equal(["rollback", "health-passed"], _events.Names);
        var rollback = _events.All[0];
        // About the release abandoned, as rollback.json is.
        Assert.Equal(("B", "B", "A", "health-failed", "2.0.0", sha), (rollback.Slot, rollback.FromSlot, rollback.ToSlot, rollback.Reason, rollback.Version, rollback.BundleSha256));
        Assert.Contains("app: ", rollback.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trial_that_never_reached_a_verdict_is_marked_bad_and_reported_as_a_rollback_on_the_old_slot()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 256 << 10, seed: 77), version: "2.0.0");
        await InstallAsync(bundle);
        // GRUB counts B's only try; B hangs before its verdict, and the next power-on boots A.
        new GrubEnvFile(_box.GrubEnv).Set("B_TRY=1");
        _events.All.Clear();

        await JudgeAsync("A", []);

        Assert.Equal(["slot-marked-bad", "rollback", "health-passed"], _events.Names);
        Assert.Equal(("B", "2.0.0", "verdict"), (_events.All[0].Slot, _events.All[0].Version, _events.All[0].Reason));
        Assert.Equal(("B", "A", "no-verdict"), (_events.All[1].FromSlot, _events.All[1].ToSlot, _events.All[1].Reason));
    }

    [Fact]
    public async Task A_trial_that_passes_is_health_passed_then_marked_good_by_the_verdict()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 256 << 10, seed: 75), version: "2.0.0");
        await InstallAsync(bundle);
        _events.All.Clear();

        await JudgeAsync("B", []);

        Assert.Equal(["health-passed", "slot-marked-good"], _events.Names);
        Assert.Equal(("B", "2.0.0", "verdict"), (_events.All[1].Slot, _events.All[1].Version, _events.All[1].Reason));
    }

    [Fact]
    public async Task An_operators_marks_and_rollback_say_who_and_which_slot()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 256 << 10, seed: 76), version: "2.0.0");
        await InstallAsync(bundle);
        _events.All.Clear();
        var onB = _box.Device(_grub, events: _events, booted: "B");
        var marker = new SlotMarker(onB);

        var device = await onB.ReadAsync(default);
        await marker.MarkGoodAsync(device, device.BootedSide, default);
        await marker.RollbackAsync(await onB.ReadAsync(default), default);
        device = await onB.ReadAsync(default);
        await marker.MarkBadByHandAsync(device, device.BootedSide, force: false, default);

        Assert.Equal(["slot-marked-good", "rollback", "slot-marked-bad"], _events.Names);
        Assert.Equal(("B", "2.0.0", "operator"), (_events.All[0].Slot, _events.All[0].Version, _events.All[0].Reason));
        Assert.Equal(("B", "2.0.0", "B", "A", "manual"), (_events.All[1].Slot, _events.All[1].Version, _events.All[1].FromSlot, _events.All[1].ToSlot, _events.All[1].Reason));
        Assert.Equal(("B", "operator"), (_events.All[2].Slot, _events.All[2].Reason));
    }

    private async Task InstallAsync(string bundle)
    {
        await using var source = FileBundleSource.Open(bundle);
        await _box.Installer(_grub, events: _events).InstallAsync(source, new InstallOptions(), null, default);
    }

    private async Task JudgeAsync(string booted, HealthCheckDefinition[] checks)
    {
        var device = _box.Device(_grub, events: _events, booted: booted);
        await new VerdictAgent(device).JudgeAsync(await device.ReadAsync(default), checks, noReboot: true, default);
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle)
    {
        int at = haystack.AsSpan().IndexOf(needle);
        Assert.True(at >= 0, "the manifest's version is not in the bundle");
        return at;
    }
}
