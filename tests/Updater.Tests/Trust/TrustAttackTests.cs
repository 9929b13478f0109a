// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Updater.Bundles;
using Updater.Crypto;
using Updater.Fleet;
using Updater.Tests.Support;
using Updater.Transport;
using Updater.Trust;

namespace Updater.Tests.Trust;

/// <summary>
/// The attacks of TUF's threat model against a device, one per test, through the real `updater` binary and a
/// hostile server on loopback that serves whatever the attacker has: each is refused with one clear error, and
/// slot B, the bootloader environment and the state directory are exactly as before.
/// </summary>
public sealed class TrustAttackTests : IAsyncLifetime
{
    private readonly TestDevice _device = new(slotSize: 2 << 20);
    private readonly SigningKey _r1 = SigningKey.Generate(), _r2 = SigningKey.Generate(), _r3 = SigningKey.Generate();
    private readonly SigningKey _b1 = SigningKey.Generate(), _b2 = SigningKey.Generate();
    private readonly SigningKey _c1 = SigningKey.Generate(), _c2 = SigningKey.Generate();
    private readonly Dictionary<string, byte[]> _files = [];
    private FaultServer _server = null!;
    private string _image = null!;

    public async Task InitializeAsync()
    {
        _server = await FaultServer.StartAsync(async (context, _) =>
        {
            if (_files.TryGetValue(context.Request.Path.Value ?? "", out var body))
            {
                await RangeResponder.ServeAsync(context, body, new ServeOptions { ETag = $"\"{Convert.ToHexStringLower(SHA256.HashData(body))[..16]}\"" });
                return;
            }
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        });
        _image = _device.MakeImage("v2.img", 1 << 20, seed: 7);
        // Root version 1 as the device ships it: two of two root keys, bundle keys b1 and b2 (one of them
        // enough unless a test says otherwise), channel key c1.
        ShipRoot(Root(1, bundleThreshold: 1));
        _device.AppendConfig($"[channel]\nname = stable\nurl = {_server.Url("/stable/stable.channel")}\nmachine-id-file = {_device.MachineIdFile}\npoll-jitter = 0s\nhttp-attempts = 1\n");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        foreach (var k in new[] { _r1, _r2, _r3, _b1, _b2, _c1, _c2 })
        {
            k.Dispose();
        }
        _device.Dispose();
    }

    private RootDocument Root(long version, int bundleThreshold = 1, int channelThreshold = 1, SigningKey[]? root = null, SigningKey[]? bundle = null, SigningKey[]? channel = null,
        int rootThreshold = 2, DateTimeOffset? issued = null, DateTimeOffset? expires = null) =>
        TestRoots.Document(version, root ?? [_r1, _r2], bundle ?? [_b1, _b2], channel ?? [_c1], rootThreshold, bundleThreshold, channelThreshold, issued, expires);

    private void ShipRoot(RootDocument document) => File.WriteAllBytes(_device.RootPath, TestRoots.Sign(document, _r1, _r2));

    private async Task<(byte[] Bytes, string ManifestSha256)> BundleAsync(string version, SigningKey[] signers, string description = "release", long securityVersion = 1)
    {
        string path = _device.Path($"{version}-{description}-{string.Join("-", signers.Select(s => s.Id[..6]))}.bundle");
        await new BundleWriter(new BundleCreateRequest
        {
            Images = [new BundleImageInput("rootfs", _image)],
            Compatible = TestDevice.Compatible,
            Version = version,
            SecurityVersion = securityVersion,
            ChunkSize = 64 * 1024,
            Description = description,
        }, signers).WriteAsync(path, null, CancellationToken.None);
        byte[] bytes = await File.ReadAllBytesAsync(path);
        await using var source = FileBundleSource.Open(path);
        var (_, manifest, _) = await UnverifiedBundleReader.ReadSignedPartAsync(source, CancellationToken.None);
        return (bytes, Convert.ToHexStringLower(SHA256.HashData(manifest)));
    }

    /// <summary>Serves a bundle and a channel naming it (pinned by manifest hash), each signed by whom the attacker has.</summary>
    private async Task PublishAsync(SigningKey[] bundleSigners, SigningKey[] channelSigners, long channelVersion = 1, string release = "2.0.0")
    {
        var (bundle, sha) = await BundleAsync(release, bundleSigners);
        _files["/stable/bundles/2.0.0.bundle"] = bundle;
        PublishChannel(ChannelFor(sha, bundle.Length, channelVersion, release), channelSigners);
    }

    private static ChannelDocument ChannelFor(string manifestSha, long size, long version, string release = "2.0.0",
        DateTimeOffset? issued = null, DateTimeOffset? expires = null, string channel = "stable") =>
        TestChannels.Document(version: version, release: release, bundleUrl: "bundles/2.0.0.bundle", bundleSize: size, manifestSha: manifestSha,
            waves: [new RolloutWave(100, (issued ?? DateTimeOffset.UtcNow).AddDays(-1))], issued: issued ?? DateTimeOffset.UtcNow.AddDays(-1),
            expires: expires ?? DateTimeOffset.UtcNow.AddDays(30), channel: channel);

    /// <summary>The real binary with its clock set by libfaketime (it starts at <paramref name="at"/> and runs on).</summary>
    private Task<ProcessResult> UpdaterAt(DateTimeOffset at, params string[] args)
    {
        var start = ProcessRunner.StartInfo("faketime", ["-f", "@" + at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
            UpdaterProcess.Executable, "--config", _device.ConfigPath, .. args]);
        start.Environment["TZ"] = "UTC";
        // Timers and timeouts keep real time: only the wall clock is the attacker's.
        start.Environment["FAKETIME_DONT_FAKE_MONOTONIC"] = "1";
        return ProcessRunner.RunAsync(start);
    }

    private void PublishChannel(ChannelDocument document, SigningKey[] signers) =>
        _files["/stable/stable.channel"] = VerifiedChannel.Sign(JsonSerializer.SerializeToUtf8Bytes(document, ChannelJsonContext.Default.ChannelDocument), signers, "attacker");

    /// <summary>What a bundle attack may see updated first: the genuine channel (and root) the check accepted, and its signed time.</summary>
    private static readonly string[] Genuine = ["channel", "trust", "clock.json"];

    private Task<ProcessResult> Updater(params string[] args) => UpdaterProcess.RunAsync(["--config", _device.ConfigPath, .. args]);

    /// <summary>Everything an attack must leave as it was: slot B, the bootloader environment, every state file.</summary>
    /// <param name="legitimate">State subdirectories the check may update before the refusal: a genuine channel or root it accepted.</param>
    private string Snapshot(params string[] legitimate)
    {
        var parts = new List<string> { TestDevice.Sha256Of(_device.SlotA), TestDevice.Sha256Of(_device.SlotB), TestDevice.Sha256Of(_device.GrubEnv) };
        if (Directory.Exists(_device.StateDir))
        {
            parts.AddRange(Directory.GetFiles(_device.StateDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Select(f => Path.GetRelativePath(_device.StateDir, f))
                .Where(f => !legitimate.Any(l => f == l || f.StartsWith(l + "/", StringComparison.Ordinal)))
                .Select(f => $"{f}={TestDevice.Sha256Of(Path.Combine(_device.StateDir, f))}"));
        }
        return string.Join("\n", parts);
    }

    /// <summary>Runs `updater check --install` and demands a refusal saying <paramref name="expected"/>, with nothing changed.</summary>
    private async Task<ProcessResult> RefusedAsync(string expected, params string[] legitimate)
    {
        string before = Snapshot(legitimate);
        var result = await Updater("check", "--install");
        Assert.True(result.ExitCode == (int)ExitCode.BadInput, $"expected exit {(int)ExitCode.BadInput}, got {result.ExitCode}:\n{result.Output}");
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        // One clear error (the journal lines before it say what the check saw).
        Assert.Single(result.Stderr.Split('\n'), l => l.StartsWith("updater: error:", StringComparison.Ordinal));
        Assert.Equal(before, Snapshot(legitimate));
        return result;
    }

    [Fact]
    public async Task The_real_release_signed_as_the_root_says_installs()
    {
        await PublishAsync([_b1], [_c1]);
        var result = await Updater("check", "--install");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(TestDevice.Sha256Of(_image), TestDevice.Sha256Of(_device.SlotB, new FileInfo(_image).Length));
    }

    // Arbitrary software.

    [Fact]
    public async Task A_bundle_signed_by_a_channel_key_is_refused()
    {
        await PublishAsync([_c1], [_c1]);
        await RefusedAsync($"0 valid signature(s) by bundle keys, 1 of 2 needed (trust root version 1); signatures that do not count: {_c1.Id} (a channel key: it does not count for bundle)", Genuine);
    }

    [Fact]
    public async Task A_bundle_signed_by_an_unknown_key_is_refused()
    {
        using var stranger = SigningKey.Generate();
        await PublishAsync([stranger], [_c1]);
        await RefusedAsync($"{stranger.Id} (not a key of trust root version 1)", Genuine);
    }

    [Fact]
    public async Task A_bundle_signed_by_one_of_two_required_keys_is_refused()
    {
        ShipRoot(Root(1, bundleThreshold: 2));
        await PublishAsync([_b1], [_c1]);
        await RefusedAsync($"1 valid signature(s) by bundle keys ({_b1.Id}), 2 of 2 needed", Genuine);
    }

    // Key compromise below the threshold.

    [Fact]
    public async Task A_channel_signed_by_one_of_two_required_channel_keys_is_refused()
    {
        ShipRoot(Root(1, channel: [_c1, _c2], channelThreshold: 2));
        await PublishAsync([_b1], [_c1]);
        await RefusedAsync($"1 valid signature(s) by channel keys ({_c1.Id}), 2 of 2 needed");
    }

    [Fact]
    public async Task A_root_signed_by_one_of_two_root_keys_is_refused_and_the_device_stays_on_its_root()
    {
        using var attacker = SigningKey.Generate();
        // The thief of r1 makes root 2 naming their own bundle key, and signs it with r1 and their key.
        _server.Roots[2] = TestRoots.Sign(Root(2, bundle: [attacker], root: [_r1, attacker]), _r1, attacker);
        await PublishAsync([attacker], [_c1]);
        await RefusedAsync("2.root.json: as root version 2, the successor of trusted version 1 (a skipped, older or forged root is not signed so): 1 valid signature(s) by root keys");
        Assert.Contains("root version 1 from", (await Updater("trust", "status")).Stdout, StringComparison.Ordinal);
    }

    // Rollback.

    [Fact]
    public async Task An_older_channel_is_refused()
    {
        await PublishAsync([_b1], [_c1], channelVersion: 5);
        Assert.Equal(0, (await Updater("check")).ExitCode);
        await PublishAsync([_b1], [_c1], channelVersion: 4);
        await RefusedAsync("channel 'stable' version 4 is older than version 5");
    }

    [Fact]
    public async Task An_older_bundle_is_refused_after_the_state_directory_was_wiped()
    {
        // Release 2.0.0 at security version 5 is installed, booted and committed: the commit writes the floor into
        // the bootloader environment in the same write that marks B good.
        var (v2, v2Sha) = await BundleAsync("2.0.0", [_b1], securityVersion: 5);
        _files["/stable/bundles/2.0.0.bundle"] = v2;
        PublishChannel(ChannelFor(v2Sha, v2.Length, 1), [_c1]);
        Assert.Equal(0, (await Updater("check", "--install")).ExitCode);
        Assert.Equal(0, (await Updater("--booted-slot", "B", "mark-good", "booted")).ExitCode);
        Assert.Contains("updater_security_floor=5", ProcessRunner.RunChecked("grub-editenv", _device.GrubEnv, "list").Stdout, StringComparison.Ordinal);

        // The data partition is lost (or the state directory was on the rootfs): every record is gone.
        Directory.Delete(_device.StateDir, recursive: true);
        // A validly signed, newer release with the old security version 1 (a known hole) is offered.
        var (v3, v3Sha) = await BundleAsync("3.0.0", [_b1], securityVersion: 1);
        _files["/stable/bundles/2.0.0.bundle"] = v3;
        PublishChannel(ChannelFor(v3Sha, v3.Length, 2, release: "3.0.0"), [_c1]);

        string before = Snapshot(Genuine);
        var result = await Updater("--booted-slot", "B", "check", "--install");
        Assert.True(result.ExitCode == (int)ExitCode.BadInput, result.Output);
        Assert.Contains("security version 1 is lower than", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("updater_security_floor", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(Genuine));
    }

    [Fact]
    public async Task An_older_root_served_as_the_next_version_is_refused()
    {
        var v1 = TestRoots.Sign(Root(1), _r1, _r2);
        _server.Roots[2] = TestRoots.Sign(Root(2), _r1, _r2);
        await PublishAsync([_b1], [_c1]);
        Assert.Equal(0, (await Updater("check")).ExitCode);
        // Version 1 again, validly signed, where version 3 would be.
        _server.Roots[3] = v1;
        await RefusedAsync("3.root.json: root version 1 is not newer than trusted version 2: refusing a rolled-back root");
    }

    // Mix-and-match.

    [Fact]
    public async Task A_skipped_root_version_is_refused()
    {
        // Version 3 served where 2 should be: signed by v2's keys (r2, r3), which v1 never named.
        _server.Roots[2] = TestRoots.Sign(Root(3, root: [_r2, _r3]), _r2, _r3);
        await PublishAsync([_b1], [_c1]);
        await RefusedAsync("2.root.json: as root version 2, the successor of trusted version 1");
    }

    [Fact]
    public async Task A_validly_signed_root_that_skips_a_version_is_refused()
    {
        _server.Roots[2] = TestRoots.Sign(Root(3), _r1, _r2);
        await PublishAsync([_b1], [_c1]);
        await RefusedAsync("2.root.json: root version 3 skips version 2: each root version must be installed in turn");
    }

    [Fact]
    public async Task A_bundle_swapped_behind_a_pinned_channel_is_refused()
    {
        var (real, sha) = await BundleAsync("2.0.0", [_b1], "release");
        // Another bundle of the same release and size, validly signed: not the one the channel pins.
        var (other, _) = await BundleAsync("2.0.0", [_b1], "swapped");
        Assert.Equal(real.Length, other.Length);
        _files["/stable/bundles/2.0.0.bundle"] = other;
        PublishChannel(ChannelFor(sha, real.Length, 1), [_c1]);
        await RefusedAsync($"the channel pins {sha}: refusing it", Genuine);
    }

    [Fact]
    public async Task A_nightly_channel_served_at_the_stable_url_is_refused_and_sets_no_floor()
    {
        var (bundle, sha) = await BundleAsync("9.0.0-nightly.1", [_b1]);
        _files["/stable/bundles/2.0.0.bundle"] = bundle;
        PublishChannel(ChannelFor(sha, bundle.Length, 100, release: "9.0.0-nightly.1", channel: "nightly"), [_c1]);
        await RefusedAsync("the file is channel 'nightly', this device follows channel 'stable' ([channel] name): refusing a channel served in another's place");

        // The real stable channel, with a far lower version than nightly's, still installs.
        await PublishAsync([_b1], [_c1], channelVersion: 3);
        var result = await Updater("check", "--install");
        Assert.True(result.ExitCode == 0, result.Output);
    }

    // Indefinite freeze.

    [Fact]
    public async Task A_channel_this_device_saw_expire_is_refused_again_with_the_clock_at_1970()
    {
        var now = DateTimeOffset.UtcNow;
        var (bundle, sha) = await BundleAsync("2.0.0", [_b1]);
        _files["/stable/bundles/2.0.0.bundle"] = bundle;
        PublishChannel(ChannelFor(sha, bundle.Length, 1, issued: now.AddDays(-40), expires: now.AddDays(-10)), [_c1]);
        // Twenty days ago the file was fresh: accepted.
        var then = await UpdaterAt(now.AddDays(-20), "check");
        Assert.True(then.ExitCode == 0, then.Output);
        // Today it has expired: refused, and the device remembers the signed expiry it saw pass.
        var today = await Updater("check");
        Assert.Equal((int)ExitCode.BadInput, today.ExitCode);
        Assert.Contains("expired at", today.Stderr, StringComparison.Ordinal);

        // The attacker resets the clock to 1970 and replays the same file.
        string before = Snapshot();
        var frozen = await UpdaterAt(new DateTimeOffset(1970, 1, 2, 0, 0, 0, TimeSpan.Zero), "check", "--install");
        Assert.True(frozen.ExitCode == (int)ExitCode.BadInput, frozen.Output);
        Assert.Contains($"channel 'stable' version 1 expired at {UtcMinute.Format(now.AddDays(-10))}", frozen.Stderr, StringComparison.Ordinal);
        Assert.Contains("the device clock says 1970-01-02", frozen.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public async Task A_stored_channel_replayed_after_its_expiry_is_refused()
    {
        var now = DateTimeOffset.UtcNow;
        await PublishAsync([_b1], [_c1]);
        Assert.Equal(0, (await Updater("check")).ExitCode);
        // The server keeps answering 304 (or the same file) while the vendor's releases are withheld.
        var later = await UpdaterAt(now.AddDays(31), "check", "--install");
        Assert.True(later.ExitCode == (int)ExitCode.BadInput, later.Output);
        Assert.Contains("channel 'stable' version 1 expired at", later.Stderr, StringComparison.Ordinal);
        Assert.Equal(TestDevice.SlotBFill, File.ReadAllBytes(_device.SlotB)[0]);
    }

    // Revocation and expiry.

    [Fact]
    public async Task A_bundle_key_revoked_by_a_rotation_no_longer_counts()
    {
        _server.Roots[2] = TestRoots.Sign(Root(2, bundle: [_b2]), _r1, _r2);
        await PublishAsync([_b1], [_c1]);
        await RefusedAsync($"{_b1.Id} (not a key of trust root version 2)", Genuine);
        Assert.Contains("root version 2 from", (await Updater("trust", "status")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_root_trusts_nothing_until_its_successor_arrives()
    {
        var issued = DateTimeOffset.UtcNow.AddDays(-60);
        ShipRoot(Root(1, issued: issued, expires: issued.AddDays(30)));
        await PublishAsync([_b1], [_c1]);
        await RefusedAsync("trust root version 1 (");
        // What an operator sees: the version, its expiry, and what to do.
        var status = await Updater("status");
        Assert.Contains($"trust:       root version 1 ({_device.RootPath}), expires {UtcMinute.Format(issued.AddDays(30))}, EXPIRED", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("problem: trust root version 1 expired at", status.Stdout, StringComparison.Ordinal);
        var json = JsonDocument.Parse((await Updater("status", "--json")).Stdout).RootElement.GetProperty("trust_root");
        Assert.True(json.GetProperty("expired").GetBoolean());

        _server.Roots[2] = TestRoots.Sign(Root(2), _r1, _r2);
        var result = await Updater("check", "--install");
        Assert.True(result.ExitCode == 0, result.Output);
    }
}
