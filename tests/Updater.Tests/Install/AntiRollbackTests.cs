// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Definitions;
using Partition.Booted;
using Partition.Bootloaders;
using Partition.Bootloaders.Grub;
using Updater.Config;
using Updater.Device;
using Updater.Image;
using Updater.Install;
using Updater.State;
using Updater.Tests.Support;
using Updater.Verdict;

namespace Updater.Tests.Install;

/// <summary>
/// Anti-rollback that does not fail open (docs/anti-rollback.md): the floor survives a wiped state directory in the
/// bootloader environment and in the image's own image-info, is committed with the verdict in one environment write,
/// never goes down, and a device with no readable floor (or an unreadable one) refuses instead of passing.
/// </summary>
public sealed class AntiRollbackTests : IDisposable
{
    private static readonly HealthCheckDefinition Passing = new("app", HealthCheckKind.Command, "true", "test.conf:1");

    private readonly TestDevice _box = new(slotSize: 1 << 20);

    public void Dispose() => _box.Dispose();

    private Task<string> BundleAsync(string version, long securityVersion, bool allowDowngrade = false) =>
        _box.MakeBundleAsync($"b-{version}-{securityVersion}.bundle", _box.MakeImage($"i-{version}-{securityVersion}.img", 256 << 10, seed: (int)securityVersion + 3),
            version: version, securityVersion: securityVersion, allowDowngrade: allowDowngrade);

    /// <summary>Installs <paramref name="bundle"/> and asserts it is refused with nothing written: no bootloader call, slot B and the state directory untouched.</summary>
    private async Task<UpdaterException> RefusedAsync(string bundle, FakeBootloader bootloader, InstallOptions? options = null)
    {
        string before = TestDevice.Sha256Of(_box.SlotB);
        var e = await Assert.ThrowsAsync<UpdaterException>(() => _box.InstallAsync(bundle, bootloader, options));
        Assert.Empty(bootloader.Calls);
        Assert.Equal(before, TestDevice.Sha256Of(_box.SlotB));
        Assert.False(Directory.Exists(Path.Combine(_box.StateDir, "slots")) && Directory.EnumerateFileSystemEntries(Path.Combine(_box.StateDir, "slots")).Any());
        Assert.False(File.Exists(Path.Combine(_box.StateDir, "install.json")));
        return e;
    }

    [Fact]
    public async Task A_wiped_state_directory_does_not_lower_the_floor_the_bootloader_environment_keeps()
    {
        var bootloader = new FakeBootloader();
        bootloader.Variables[SecurityFloorVariable.Name] = "5";

        var e = await RefusedAsync(await BundleAsync("3.0.0", 1), bootloader);

        Assert.Equal(ExitCode.BadInput, e.ExitCode);
        Assert.Contains($"security version 1 is lower than this device's anti-rollback floor 5 (from bootloader environment ({SecurityFloorVariable.Name}))", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_image_info_floor_alone_refuses_a_lower_security_version()
    {
        _box.WriteImageInfo(5, version: "2.0.0", built: "2026-11-30T12:00:00Z");

        var e = await RefusedAsync(await BundleAsync("3.0.0", 1), new FakeBootloader());

        Assert.Contains($"lower than this device's anti-rollback floor 5 (from {_box.ImageInfoPath})", e.Message, StringComparison.Ordinal);
        // At the floor it is accepted.
        Assert.Equal("3.0.0", (await _box.InstallAsync(await BundleAsync("3.0.0", 5), new FakeBootloader())).Version);
    }

    [Fact]
    public async Task No_floor_anywhere_is_a_refusal_that_names_the_remedy()
    {
        File.Delete(_box.ImageInfoPath);
        string bundle = await BundleAsync("3.0.0", 1);

        var e = await RefusedAsync(bundle, new FakeBootloader());

        Assert.Equal(ExitCode.Refused, e.ExitCode);
        Assert.Contains("no anti-rollback floor on this device", e.Message, StringComparison.Ordinal);
        Assert.Contains($"the image must ship {_box.ImageInfoPath} with [image] security-version", e.Message, StringComparison.Ordinal);
        Assert.Contains("--initial-floor", e.Message, StringComparison.Ordinal);
        Assert.Contains("docs/anti-rollback.md", e.Message, StringComparison.Ordinal);
        var status = DeviceStatus.From(await _box.Device(new FakeBootloader()).ReadAsync(default), DateTimeOffset.UnixEpoch);
        Assert.Null(status.SecurityFloor);
        Assert.Contains(status.Problems, p => p.StartsWith("anti-rollback floor: no anti-rollback floor on this device", StringComparison.Ordinal));

        // The provisioning escape is one more floor, never a pass: below it is still refused.
        var below = await RefusedAsync(bundle, new FakeBootloader(), new InstallOptions { InitialFloor = 2 });
        Assert.Contains("floor 2 (from --initial-floor)", below.Message, StringComparison.Ordinal);
        Assert.Equal("3.0.0", (await _box.InstallAsync(bundle, new FakeBootloader(), new InstallOptions { InitialFloor = 1 })).Version);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("5x")]
    [InlineData("")]
    [InlineData(" 5")]
    [InlineData("1234567890123456789")]
    public async Task A_malformed_environment_floor_is_a_refusal_naming_the_variable_and_value(string value)
    {
        var bootloader = new FakeBootloader();
        bootloader.Variables[SecurityFloorVariable.Name] = value;

        var e = await RefusedAsync(await BundleAsync("3.0.0", 9), bootloader);

        Assert.Equal(ExitCode.Refused, e.ExitCode);
        Assert.Contains($"{SecurityFloorVariable.Name} is '{value}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("anti-rollback floor unreadable", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_state_directory_floor_or_image_info_is_a_refusal()
    {
        Directory.CreateDirectory(_box.StateDir);
        string floorFile = Path.Combine(_box.StateDir, "security-floor");
        File.WriteAllText(floorFile, "five\n");
        var e = await RefusedAsync(await BundleAsync("3.0.0", 9), new FakeBootloader());
        Assert.Contains($"{floorFile}: the anti-rollback floor is 'five'", e.Message, StringComparison.Ordinal);

        File.Delete(floorFile);
        File.WriteAllText(_box.ImageInfoPath, "[image]\nsecurity-version = 5\nbuilt = yesterday\n");
        e = await RefusedAsync(await BundleAsync("3.0.0", 9), new FakeBootloader());
        Assert.Contains($"{_box.ImageInfoPath}:3: key 'built' is 'yesterday', expected an RFC 3339 time", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_verdict_commits_the_floor_in_the_mark_good_write_and_the_state_directory_after_it()
    {
        var env = new GrubEnvFile(_box.GrubEnv);
        var grub = new GrubBootloader(new GrubOptions(env.Path));
        await _box.InstallAsync(await BundleAsync("2.0.0", 7), grub);
        // Installed, not committed: a trial sets no floor.
        Assert.DoesNotContain(SecurityFloorVariable.Name, env.Listing(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_box.StateDir, "security-floor")));

        var device = new DeviceContext(_box.Config, grub, bootedOverride: "B", detector: new BootedSlotDetector(_box.Config.Slots, _box.Path("no-cmdline")));
        var outcome = await new VerdictAgent(device).JudgeAsync(await device.ReadAsync(default), [Passing], noReboot: true, default);

        Assert.Equal(VerdictAction.Committed, outcome.Action);
        var listed = env.List();
        Assert.Equal(("7", "1 0 0"), (listed[SecurityFloorVariable.Name], env.SlotState("B")));
        Assert.Equal("7\n", File.ReadAllText(Path.Combine(_box.StateDir, "security-floor")));

        // Now a wiped state directory and a factory image-info of 0 still hold the floor at 7.
        Directory.Delete(_box.StateDir, recursive: true);
        var status = DeviceStatus.From(await device.ReadAsync(default), DateTimeOffset.UnixEpoch);
        Assert.Equal(7, status.SecurityFloor);
        Assert.Contains(status.SecurityFloorSources, s => s.Source.StartsWith("bootloader environment", StringComparison.Ordinal) && s.Value == 7);
        await using var source = Updater.Transport.FileBundleSource.Open(await BundleAsync("3.0.0", 6));
        var e = await Assert.ThrowsAsync<UpdaterException>(() => new Installer(device).InstallAsync(source, new InstallOptions(), null, default));
        Assert.Contains("floor 7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mark_good_and_a_manual_rollback_never_lower_the_floor()
    {
        var env = new GrubEnvFile(_box.GrubEnv);
        var grub = new GrubBootloader(new GrubOptions(env.Path));
        // B holds 2.0.0 at security version 7 and runs committed; the environment floor says 9 (a later release was committed once).
        await _box.InstallAsync(await BundleAsync("2.0.0", 7), grub);
        env.Set($"{SecurityFloorVariable.Name}=9");
        var onB = new DeviceContext(_box.Config, grub, bootedOverride: "B", detector: new BootedSlotDetector(_box.Config.Slots, _box.Path("no-cmdline")));
        await new SlotMarker(onB).MarkGoodAsync(await onB.ReadAsync(default), (await onB.ReadAsync(default)).Side("B"), default);
        Assert.Equal("9", env.List()[SecurityFloorVariable.Name]);
        Assert.Equal("9\n", File.ReadAllText(Path.Combine(_box.StateDir, "security-floor")));

        // Roll back by hand to A, whose image-info says 0: a permanent activation commits A and keeps 9.
        await new SlotMarker(onB).RollbackAsync(await onB.ReadAsync(default), default);
        Assert.Equal(("A", "9"), ((await grub.ReadStateAsync(default)).NextBoot, env.List()[SecurityFloorVariable.Name]));
        Assert.Equal("9\n", File.ReadAllText(Path.Combine(_box.StateDir, "security-floor")));
    }

    [Fact]
    public async Task A_malformed_environment_floor_refuses_the_commit_and_writes_nothing()
    {
        var env = new GrubEnvFile(_box.GrubEnv);
        var grub = new GrubBootloader(new GrubOptions(env.Path));
        await _box.InstallAsync(await BundleAsync("2.0.0", 7), grub);
        env.Set($"{SecurityFloorVariable.Name}=-3");
        byte[] before = File.ReadAllBytes(env.Path);
        var onB = new DeviceContext(_box.Config, grub, bootedOverride: "B", detector: new BootedSlotDetector(_box.Config.Slots, _box.Path("no-cmdline")));

        var read = await onB.ReadAsync(default);
        var e = await Assert.ThrowsAsync<BootEnvironmentException>(() => new VerdictAgent(onB).JudgeAsync(read, [Passing], noReboot: true, default));

        Assert.Contains($"{SecurityFloorVariable.Name} is '-3'", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(env.Path));
        Assert.False(File.Exists(Path.Combine(_box.StateDir, "security-floor")));
    }

    [Fact]
    public async Task The_downgrade_rule_takes_the_highest_release_over_all_classes_and_image_info()
    {
        foreach (string name in new[] { "app-a.img", "app-b.img" })
        {
            File.WriteAllBytes(_box.Path(name), new byte[1 << 20]);
        }
        // rootfs.0 records 2.0.0, appfs.0 3.0.0: whichever class update.conf lists first, 2.5.0 is a downgrade.
        foreach (bool appFirst in new[] { true, false })
        {
            string app = $"[slot.appfs.0]\ndevice = {_box.Path("app-a.img")}\nbootname = A\n\n[slot.appfs.1]\ndevice = {_box.Path("app-b.img")}\nbootname = B\n";
            string root = $"[slot.rootfs.0]\ndevice = {_box.SlotA}\nbootname = A\n\n[slot.rootfs.1]\ndevice = {_box.SlotB}\nbootname = B\n";
            File.WriteAllText(_box.ConfigPath, $"""
                [system]
                compatible = {TestDevice.Compatible}
                bootloader = grub
                grub-env = {_box.GrubEnv}
                state-dir = {_box.StateDir}
                trust-root = {_box.RootPath}
                image-info = {_box.ImageInfoPath}
                booted-slot = A

                {(appFirst ? app + "\n" + root : root + "\n" + app)}
                """);
            var config = _box.Config;
            var state = new StateDirectory(config.StateDirectory);
            await RecordAsync(state, config, "rootfs.0", "2.0.0");
            await RecordAsync(state, config, "appfs.0", "3.0.0");

            var e = await RefusedOnAsync(config, await BundleAsync("2.5.0", 1));
            Assert.Contains("version 2.5.0 is older than the running 3.0.0 (from slot appfs.0)", e.Message, StringComparison.Ordinal);
            Directory.Delete(_box.StateDir, recursive: true);
        }

        // The image's own version is the other view: with no records at all, image-info 3.0.0 refuses 2.5.0 too.
        _box.WriteImageInfo(0, version: "3.0.0");
        var byImage = await RefusedOnAsync(_box.Config, await BundleAsync("2.5.0", 1));
        Assert.Contains($"version 2.5.0 is older than the running 3.0.0 (from {_box.ImageInfoPath})", byImage.Message, StringComparison.Ordinal);
    }

    private async Task<UpdaterException> RefusedOnAsync(UpdaterConfig config, string bundle)
    {
        var bootloader = new FakeBootloader();
        var device = new DeviceContext(config, bootloader, detector: new BootedSlotDetector(config.Slots, _box.Path("no-cmdline")));
        await using var source = Updater.Transport.FileBundleSource.Open(bundle);
        var e = await Assert.ThrowsAsync<UpdaterException>(() => new Installer(device).InstallAsync(source, new InstallOptions(), null, default));
        Assert.Equal(ExitCode.BadInput, e.ExitCode);
        Assert.Empty(bootloader.Calls);
        return e;
    }

    private static Task RecordAsync(StateDirectory state, UpdaterConfig config, string slotName, string version)
    {
        var slot = config.Slots.All.Single(s => s.Name == slotName);
        return state.WriteSlotAsync(slot, new SlotRecord
        {
            Slot = slot.Name, Bootname = slot.Bootname, Version = version, SecurityVersion = 1, Compatible = TestDevice.Compatible,
            ImageSha256 = new string('0', 64), ImageSize = 1, ManifestSha256 = new string('1', 64), SignedBy = "test",
            InstalledAt = DateTimeOffset.UnixEpoch,
        }, [], [], CancellationToken.None);
    }
}

public sealed class ImageInfoTests
{
    [Fact]
    public void An_image_info_file_gives_its_floor_version_and_build_time()
    {
        var info = ImageInfo.Parse("# written by the image build\n[image]\nsecurity-version = 5\nversion = 2.1.0\nbuilt = 2026-11-30T13:00:00+01:00\n", "image-info");
        Assert.Equal((5L, "2.1.0", new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero)), (info.SecurityVersion, info.Version, info.Built));
        Assert.Equal(TimeSpan.Zero, info.Built!.Value.Offset);
        var minimal = ImageInfo.Parse("[image]\nsecurity-version = 0\n", "image-info");
        Assert.Equal((0L, (string?)null, (DateTimeOffset?)null), (minimal.SecurityVersion, minimal.Version, minimal.Built));
    }

    [Theory]
    [InlineData("[image]\nversion = 1.0.0\n", "image-info:1: [image] needs key 'security-version'")]
    [InlineData("[image]\nsecurity-version = -1\n", "image-info:2: key 'security-version' is '-1'")]
    [InlineData("[image]\nsecurity-version = 12345678901234567890\n", "image-info:2: key 'security-version' is '12345678901234567890'")]
    [InlineData("[image]\nsecurity-version = 1\nversion = one\n", "image-info:3: key 'version' is 'one'")]
    [InlineData("[image]\nsecurity-version = 1\nbuilt = 2026-11-30 12:00\n", "image-info:3: key 'built' is '2026-11-30 12:00', expected an RFC 3339 time")]
    [InlineData("[image]\nsecurity-version = 1\nsecurity_version = 2\n", "image-info:3: unknown key 'security_version' in [image]")]
    [InlineData("[system]\nsecurity-version = 1\n", "image-info:1: unknown section [system]")]
    [InlineData("# empty\n", "image-info: no [image] section")]
    [InlineData("[image]\nsecurity-version = 1\nsecurity-version = 2\n", "image-info:3: key 'security-version': is given twice")]
    public void A_malformed_image_info_names_file_line_and_key(string text, string expected)
    {
        var e = Assert.Throws<ImageInfoException>(() => ImageInfo.Parse(text, "image-info"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCode.Refused, e.ExitCode);
    }

    [Fact]
    public void A_missing_file_is_no_floor_and_a_directory_is_an_error()
    {
        Assert.Null(ImageInfo.Load("/nonexistent/image-info"));
        Assert.Throws<ImageInfoException>(() => ImageInfo.Load("/"));
    }
}
