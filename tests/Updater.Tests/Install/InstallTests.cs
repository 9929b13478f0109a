// SPDX-License-Identifier: Apache-2.0
using Updater.Bundles;
using Updater.Install;
using Updater.State;
using Updater.Tests.Support;
using Updater.Transport;

namespace Updater.Tests.Install;

public sealed class InstallTests : IDisposable
{
    private readonly TestDevice _box = new(slotSize: 3 << 20);

    public void Dispose() => _box.Dispose();

    [Fact]
    public async Task Installs_into_the_inactive_slot_records_it_and_activates_it_last()
    {
        string image = _box.MakeImage("v2.img", (2 << 20) + 777, seed: 2);
        string bundle = await _box.MakeBundleAsync("v2.bundle", image, version: "2.0.0", securityVersion: 3);
        string bootedBefore = TestDevice.Sha256Of(_box.SlotA);
        var bootloader = new FakeBootloader();
        var stateDir = new StateDirectory(_box.StateDir);
        var slotB = _box.Config.Slots.Find("rootfs", "B")!;
        bootloader.BeforeCall = call =>
        {
            // The commit point comes after the record, and the journal outlives it (until the activation is
            // durable); marking bad comes before any record or write.
            if (call.StartsWith("activate", StringComparison.Ordinal))
            {
                Assert.NotNull(stateDir.ReadSlot(slotB));
                Assert.NotNull(stateDir.ReadJournal());
                Assert.Equal(TestDevice.Sha256Of(image), TestDevice.Sha256Of(_box.SlotB, new FileInfo(image).Length));
            }
        };

        var result = await _box.InstallAsync(bundle, bootloader, new InstallOptions { VerifyReadBack = true });

        Assert.Equal(["bad B", "activate B Trial"], bootloader.Calls);
        Assert.Null(stateDir.ReadJournal());
        Assert.Equal("B", result.TargetBootname);
        Assert.Equal(new FileInfo(image).Length, result.WrittenBytes);
        Assert.Equal(TestDevice.Sha256Of(image), TestDevice.Sha256Of(_box.SlotB, new FileInfo(image).Length));
        Assert.Equal(3 << 20, new FileInfo(_box.SlotB).Length);
        Assert.Equal(bootedBefore, TestDevice.Sha256Of(_box.SlotA));
        var record = stateDir.ReadSlot(slotB)!;
        Assert.Equal("2.0.0", record.Version);
        Assert.Equal(3, record.SecurityVersion);
        Assert.Equal(TestDevice.Sha256Of(image), record.ImageSha256);
        Assert.True(record.VerifiedReadBack);
        Assert.NotNull(stateDir.ReadSlotIndex(slotB));
    }

    [Fact]
    public async Task Booted_B_installs_into_A()
    {
        File.WriteAllText(_box.ConfigPath, _box.ConfigText().Replace("booted-slot = A", "booted-slot = B", StringComparison.Ordinal));
        string image = _box.MakeImage("v2.img", 1 << 20, seed: 3);
        string bundle = await _box.MakeBundleAsync("v2.bundle", image);
        string bBefore = TestDevice.Sha256Of(_box.SlotB);
        var result = await _box.InstallAsync(bundle, new FakeBootloader());
        Assert.Equal("A", result.TargetBootname);
        Assert.Equal(TestDevice.Sha256Of(image), TestDevice.Sha256Of(_box.SlotA, 1 << 20));
        Assert.Equal(bBefore, TestDevice.Sha256Of(_box.SlotB));
    }

    [Fact]
    public async Task The_booted_slot_cannot_be_written_even_under_another_name()
    {
        // Slot B's device is a symlink to slot A's file: same storage, different name.
        string alias = _box.Path("alias-of-a.img");
        File.CreateSymbolicLink(alias, _box.SlotA);
        File.WriteAllText(_box.ConfigPath, _box.ConfigText().Replace($"device = {_box.SlotB}", $"device = {alias}", StringComparison.Ordinal));
        string image = _box.MakeImage("v2.img", 1 << 20, seed: 4);
        string bundle = await _box.MakeBundleAsync("v2.bundle", image);
        string aBefore = TestDevice.Sha256Of(_box.SlotA);
        var bootloader = new FakeBootloader();
        var e = await Assert.ThrowsAsync<UpdaterException>(() => _box.InstallAsync(bundle, bootloader));
        Assert.Equal(ExitCode.Refused, e.ExitCode);
        Assert.Contains("same storage as booted slot", e.Message, StringComparison.Ordinal);
        Assert.Equal(aBefore, TestDevice.Sha256Of(_box.SlotA));
        Assert.Empty(bootloader.Calls);
    }

    [Theory]
    [InlineData("compatible")]
    [InlineData("version")]
    [InlineData("security")]
    [InlineData("too-large")]
    public async Task Refusals_change_nothing(string problem)
    {
        // The running system (slot A) is 2.0.0 with security version 5.
        string v2 = _box.MakeImage("v2.img", 1 << 20, seed: 5);
        File.WriteAllText(_box.ConfigPath, _box.ConfigText().Replace("booted-slot = A", "booted-slot = B", StringComparison.Ordinal));
        await _box.InstallAsync(await _box.MakeBundleAsync("v2.bundle", v2, version: "2.0.0", securityVersion: 5), new FakeBootloader());
        File.WriteAllText(_box.ConfigPath, _box.ConfigText());

        string image = problem == "too-large" ? _box.MakeImage("big.img", (3 << 20) + 1, seed: 6) : _box.MakeImage("v.img", 1 << 20, seed: 6);
        string bundle = problem switch
        {
            "compatible" => await _box.MakeBundleAsync("x.bundle", image, version: "3.0.0", securityVersion: 5, compatible: "other-board"),
            "version" => await _box.MakeBundleAsync("x.bundle", image, version: "1.9.9", securityVersion: 5),
            "security" => await _box.MakeBundleAsync("x.bundle", image, version: "3.0.0", securityVersion: 4, allowDowngrade: true),
            _ => await _box.MakeBundleAsync("x.bundle", image, version: "3.0.0", securityVersion: 5),
        };
        string aBefore = TestDevice.Sha256Of(_box.SlotA), bBefore = TestDevice.Sha256Of(_box.SlotB);
        var bootloader = new FakeBootloader();
        var e = await Assert.ThrowsAsync<UpdaterException>(() => _box.InstallAsync(bundle, bootloader, new InstallOptions { AllowDowngrade = problem == "security" }));
        Assert.Equal(ExitCode.BadInput, e.ExitCode);
        string expected = problem switch
        {
            "compatible" => "bundle is for 'other-board', this device is 'test-board'",
            "version" => "version 1.9.9 is older than the running 2.0.0",
            "security" => "security version 4 is lower than this device's anti-rollback floor 5",
            _ => "holds only 3145728",
        };
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Empty(bootloader.Calls);
        Assert.Equal(aBefore, TestDevice.Sha256Of(_box.SlotA));
        Assert.Equal(bBefore, TestDevice.Sha256Of(_box.SlotB));
    }

    [Fact]
    public async Task A_downgrade_is_installed_when_the_operator_or_the_signed_bundle_allows_it()
    {
        File.WriteAllText(_box.ConfigPath, _box.ConfigText().Replace("booted-slot = A", "booted-slot = B", StringComparison.Ordinal));
        await _box.InstallAsync(await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, 1), version: "2.0.0"), new FakeBootloader());
        File.WriteAllText(_box.ConfigPath, _box.ConfigText());
        string old = _box.MakeImage("v1.img", 1 << 20, seed: 9);
        var byFlag = await _box.InstallAsync(await _box.MakeBundleAsync("v1.bundle", old, version: "1.0.0"), new FakeBootloader(), new InstallOptions { AllowDowngrade = true });
        Assert.Equal("1.0.0", byFlag.Version);
        var bySignature = await _box.InstallAsync(await _box.MakeBundleAsync("v1s.bundle", old, version: "1.0.1", allowDowngrade: true), new FakeBootloader());
        Assert.Equal("1.0.1", bySignature.Version);
    }

    [Fact]
    public async Task A_streamed_install_writes_only_verified_chunks_and_never_activates_a_partial_slot()
    {
        string image = _box.MakeImage("v2.img", 1 << 20, seed: 11);
        string bundlePath = await _box.MakeBundleAsync("v2.bundle", image, chunkSize: 64 * 1024);
        var bytes = await File.ReadAllBytesAsync(bundlePath);
        VerifiedBundle bundle;
        ChunkIndex index;
        await using (var probe = FileBundleSource.Open(bundlePath))
        {
            bundle = await VerifiedBundle.OpenAsync(probe, _box.LoadRoot(), CancellationToken.None);
            index = await bundle.ReadIndexAsync(bundle.Manifest.Images[0], CancellationToken.None);
        }
        const int bad = 9;
        bytes[bundle.PayloadOffset(bundle.Manifest.Images[0]) + index.Entries[bad].Offset + 3] ^= 0x01;
        string corrupt = _box.Path("corrupt.bundle");
        await File.WriteAllBytesAsync(corrupt, bytes);

        var bootloader = new FakeBootloader();
        await using var source = FileBundleSource.Open(corrupt);
        var e = await Assert.ThrowsAsync<BundleFormatException>(() =>
            _box.Installer(bootloader).InstallAsync(source, new InstallOptions { PrecheckPayload = false }, null, CancellationToken.None));
        Assert.Contains($"chunk {bad} ", e.Message, StringComparison.Ordinal);
        Assert.Equal(["bad B"], bootloader.Calls);
        // The bad chunk's region still holds the slot's old bytes: nothing unverified was written.
        var slot = await File.ReadAllBytesAsync(_box.SlotB);
        var old = TestDevice.Pattern(3 << 20, TestDevice.SlotBFill);
        Assert.True(slot.AsSpan(bad * 64 * 1024, 64 * 1024).SequenceEqual(old.AsSpan(bad * 64 * 1024, 64 * 1024)));
        Assert.NotNull(new StateDirectory(_box.StateDir).ReadJournal());
    }

    [Fact]
    public async Task Rerunning_an_interrupted_install_writes_only_what_is_missing()
    {
        string image = _box.MakeImage("v2.img", 2 << 20, seed: 12);
        string bundle = await _box.MakeBundleAsync("v2.bundle", image, chunkSize: 64 * 1024);
        using var cts = new CancellationTokenSource();
        var bootloader = new FakeBootloader();
        await using (var source = FileBundleSource.Open(bundle))
        {
            var progress = new SyncProgress(p =>
            {
                if (p.Written >= 0 && p.Done >= 1 << 20)
                {
                    cts.Cancel();
                }
            });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _box.Installer(bootloader).InstallAsync(source, new InstallOptions(), progress, cts.Token));
        }
        Assert.Equal(["bad B"], bootloader.Calls);
        Assert.NotNull(new StateDirectory(_box.StateDir).ReadJournal());

        var result = await _box.InstallAsync(bundle, bootloader);
        Assert.True(result.Resumed);
        Assert.InRange(result.WrittenBytes, 1, (2 << 20) - (1 << 20) + (64 * 1024 * 8));
        Assert.Equal(TestDevice.Sha256Of(image), TestDevice.Sha256Of(_box.SlotB, 2 << 20));
        Assert.Equal("activate B Trial", bootloader.Calls[^1]);
    }

    [Fact]
    public async Task A_second_install_while_one_runs_is_refused_and_changes_nothing()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 13));
        string bBefore = TestDevice.Sha256Of(_box.SlotB);
        var bootloader = new FakeBootloader();
        using (new StateDirectory(_box.StateDir).LockForInstall())
        {
            var e = await Assert.ThrowsAsync<UpdaterException>(() => _box.InstallAsync(bundle, bootloader));
            Assert.Equal(ExitCode.Refused, e.ExitCode);
            Assert.Contains("another install is running", e.Message, StringComparison.Ordinal);
        }
        Assert.Empty(bootloader.Calls);
        Assert.Equal(bBefore, TestDevice.Sha256Of(_box.SlotB));
        await _box.InstallAsync(bundle, bootloader);
        Assert.Equal("activate B Trial", bootloader.Calls[^1]);
    }

    [Fact]
    public async Task No_install_while_the_booted_slot_awaits_its_health_verdict()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 14));
        var bootloader = new FakeBootloader();
        await bootloader.ActivateAsync("A", Partition.Bootloaders.BootActivation.Trial, CancellationToken.None);
        bootloader.Calls.Clear();
        string bBefore = TestDevice.Sha256Of(_box.SlotB);
        var e = await Assert.ThrowsAsync<UpdaterException>(() => _box.InstallAsync(bundle, bootloader));
        Assert.Equal(ExitCode.Refused, e.ExitCode);
        Assert.Contains("awaiting the health verdict", e.Message, StringComparison.Ordinal);
        Assert.Empty(bootloader.Calls);
        Assert.Equal(bBefore, TestDevice.Sha256Of(_box.SlotB));
    }

    /// <summary>Progress delivered on the reporting thread (Progress&lt;T&gt; posts to the thread pool, too late to cancel).</summary>
    private sealed class SyncProgress(Action<InstallProgress> action) : IProgress<InstallProgress>
    {
        public void Report(InstallProgress value) => action(value);
    }

    [Fact]
    public async Task A_failed_commit_point_leaves_an_unfinished_install_not_a_rollback_and_a_rerun_completes_it()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 21), version: "2.0.0");
        var bootloader = new FakeBootloader();
        bootloader.BeforeCall = call =>
        {
            if (call.StartsWith("activate", StringComparison.Ordinal))
            {
                throw new IOException("No space left on device");
            }
        };
        await Assert.ThrowsAsync<IOException>(() => _box.InstallAsync(bundle, bootloader));

        var device = await _box.Device(bootloader).ReadAsync(CancellationToken.None);
        Assert.True(device.OtherSide.IsInstalling);
        Assert.False(device.OtherSide.WasAbandoned);
        var facts = Updater.Fleet.DeviceFacts.From(device, "m", null);
        Assert.Null(facts.OtherVersion);
        Assert.False(facts.OtherAbandoned);
        Assert.Contains(Updater.Device.DeviceStatus.From(device, DateTimeOffset.UnixEpoch).Problems, p => p.Contains("was interrupted; run it again", StringComparison.Ordinal));

        bootloader.BeforeCall = null;
        var result = await _box.InstallAsync(bundle, bootloader);
        Assert.True(result.Resumed);
        Assert.Equal(0, result.WrittenBytes);
        Assert.Null(new StateDirectory(_box.StateDir).ReadJournal());
        Assert.Equal("B", (await bootloader.ReadStateAsync(CancellationToken.None)).NextBoot);
    }
}
