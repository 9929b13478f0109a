// SPDX-License-Identifier: Apache-2.0
using System.Text;
using System.Text.Json;
using Updater.Clock;
using Updater.Crypto;
using Updater.Fleet;
using Updater.Tests.Support;

namespace Updater.Tests.Fleet;

/// <summary>Signed channel files and the device's memory of the last one it accepted.</summary>
public sealed class ChannelFileTests : IDisposable
{
    private readonly TestDevice _device = new();

    public void Dispose() => _device.Dispose();

    private Updater.Trust.TrustRoot Root => _device.LoadRoot();

    private ChannelStore Store(DateTimeOffset now, string name = "stable", ClockMode mode = ClockMode.Wall)
    {
        var state = new Updater.State.StateDirectory(_device.StateDir);
        return new(state, TestDevice.Compatible, name, new TrustedClock(state, new WatchedFakeTimeProvider(now), mode));
    }

    private VerifiedChannel Verified(ChannelDocument doc) => VerifiedChannel.Open(TestChannels.Sign(doc, _device.Key), Root, "test-channel");

    /// <summary>Every file the channel store and the clock keep, with its content.</summary>
    private string[] StateFiles() => Directory.Exists(_device.StateDir)
        ? Directory.GetFiles(_device.StateDir, "*", SearchOption.AllDirectories).Select(f => f + ":" + Convert.ToHexString(File.ReadAllBytes(f))).Order().ToArray()
        : [];

    [Fact]
    public void A_signed_channel_verifies_and_reads_back()
    {
        var channel = Verified(TestChannels.Document(version: 7));
        Assert.Equal(7, channel.Document.Version);
        Assert.Equal(_device.Key.Id, channel.SignedBy);
    }

    [Fact]
    public void A_changed_payload_is_refused()
    {
        var file = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(TestChannels.Sign(TestChannels.Document(), _device.Key))!;
        var doc = TestChannels.Document() with { Release = TestChannels.Document().Release with { BundleUrl = "http://127.0.0.1/evil" } };
        string payload = Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(doc, ChannelJsonContext.Default.ChannelDocument));
        byte[] tampered = Encoding.UTF8.GetBytes($"{{\"payload\":\"{payload}\",\"signatures\":{file["signatures"].GetRawText()}}}");

        var error = Assert.Throws<UpdaterException>(() => VerifiedChannel.Open(tampered, Root, "test-channel"));
        Assert.Equal(ExitCode.BadInput, error.ExitCode);
        Assert.Contains("does not verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bundle_manifest_signature_does_not_pass_as_a_channel_signature()
    {
        byte[] doc = JsonSerializer.SerializeToUtf8Bytes(TestChannels.Document(), ChannelJsonContext.Default.ChannelDocument);
        byte[] envelope = SignatureEnvelope.Create(Updater.Bundles.VerifiedBundle.SignatureDomain, doc, [_device.Key]);
        string signatures = JsonDocument.Parse(envelope).RootElement.GetProperty("signatures").GetRawText();
        byte[] file = Encoding.UTF8.GetBytes($"{{\"payload\":\"{Convert.ToBase64String(doc)}\",\"signatures\":{signatures}}}");

        Assert.Throws<UpdaterException>(() => VerifiedChannel.Open(file, Root, "test-channel"));
    }

    [Fact]
    public void A_malformed_document_is_refused_naming_the_field()
    {
        var bad = TestChannels.Document(waves: [new RolloutWave(50, TestChannels.T0), new RolloutWave(10, TestChannels.T0.AddDays(1))]);
        var error = Assert.Throws<UpdaterException>(() => Verified(bad));
        Assert.Contains("rollout.waves[1].percent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_older_channel_is_refused_after_a_newer_one_and_nothing_changes_on_disk()
    {
        var store = Store(TestChannels.T0);
        await store.AcceptAsync(Verified(TestChannels.Document(version: 5)), "\"e5\"", CancellationToken.None);
        var before = StateFiles();

        var error = await Assert.ThrowsAsync<UpdaterException>(() => store.AcceptAsync(Verified(TestChannels.Document(version: 4)), "\"e4\"", CancellationToken.None));

        Assert.Equal(ExitCode.BadInput, error.ExitCode);
        Assert.Contains("version 4 is older than version 5", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, StateFiles());
        Assert.Equal(5, store.ReadState()!.Version);
    }

    [Fact]
    public async Task The_same_version_with_other_content_is_refused()
    {
        var store = Store(TestChannels.T0);
        await store.AcceptAsync(Verified(TestChannels.Document(version: 5)), null, CancellationToken.None);
        var error = await Assert.ThrowsAsync<UpdaterException>(() => store.AcceptAsync(Verified(TestChannels.Document(version: 5, halted: true)), null, CancellationToken.None));
        Assert.Contains("must carry a higher version", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_channel_is_refused_and_nothing_is_stored()
    {
        var store = Store(TestChannels.T0.AddDays(31));
        var error = await Assert.ThrowsAsync<UpdaterException>(() => store.AcceptAsync(Verified(TestChannels.Document(version: 9)), null, CancellationToken.None));
        Assert.Contains("expired at 2026-12-31T00:00Z", error.Message, StringComparison.Ordinal);
        Assert.Empty(StateFiles());
    }

    [Fact]
    public async Task A_newer_channel_replaces_the_accepted_one()
    {
        var store = Store(TestChannels.T0);
        await store.AcceptAsync(Verified(TestChannels.Document(version: 5)), null, CancellationToken.None);
        await store.AcceptAsync(Verified(TestChannels.Document(version: 6, release: "2.2.0")), "\"e6\"", CancellationToken.None);
        Assert.Equal(6, store.ReadState()!.Version);
        Assert.Equal("2.2.0", store.ReadAccepted(Root)!.Document.Release.Version);
    }

    [Fact]
    public async Task A_channel_for_another_board_is_refused()
    {
        var other = TestChannels.Document() with { Compatible = "other-board" };
        var error = await Assert.ThrowsAsync<UpdaterException>(() => Store(TestChannels.T0).AcceptAsync(Verified(other), null, CancellationToken.None));
        Assert.Contains("'other-board'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_channel_of_another_name_is_refused_and_nothing_is_stored()
    {
        var store = Store(TestChannels.T0);
        await store.AcceptAsync(Verified(TestChannels.Document(version: 5)), "\"e5\"", CancellationToken.None);
        var before = StateFiles();

        // The nightly channel, validly signed, served at the stable URL: a higher version, another release.
        var nightly = TestChannels.Document(version: 900, release: "3.0.0-nightly1", channel: "nightly", issued: TestChannels.T0);
        var error = await Assert.ThrowsAsync<UpdaterException>(() => store.AcceptAsync(Verified(nightly), "\"n\"", CancellationToken.None));

        Assert.Equal(ExitCode.BadInput, error.ExitCode);
        Assert.Equal("test-channel: the file is channel 'nightly', this device follows channel 'stable' ([channel] name): refusing a channel served in another's place", error.Message);
        Assert.Equal(before, StateFiles());
    }

    [Fact]
    public async Task Floors_are_kept_per_channel_name()
    {
        var stable = Store(TestChannels.T0);
        await stable.AcceptAsync(Verified(TestChannels.Document(version: 50)), null, CancellationToken.None);

        // The device switches to beta: beta's own floor, not stable's version 50, judges its files.
        var beta = Store(TestChannels.T0, "beta");
        Assert.Null(beta.ReadState());
        await beta.AcceptAsync(Verified(TestChannels.Document(version: 3, channel: "beta")), null, CancellationToken.None);
        var error = await Assert.ThrowsAsync<UpdaterException>(() => beta.AcceptAsync(Verified(TestChannels.Document(version: 2, channel: "beta")), null, CancellationToken.None));
        Assert.Contains("version 2 is older than version 3", error.Message, StringComparison.Ordinal);

        // And back to stable: its floor is still there.
        Assert.Equal(50, Store(TestChannels.T0).ReadState()!.Version);
        error = await Assert.ThrowsAsync<UpdaterException>(() => Store(TestChannels.T0).AcceptAsync(Verified(TestChannels.Document(version: 49)), null, CancellationToken.None));
        Assert.Contains("version 49 is older than version 50", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_device.StateDir, "channel", "stable", "state.json")));
        Assert.True(File.Exists(Path.Combine(_device.StateDir, "channel", "beta", "channel.signed")));
        Assert.Equal(TestChannels.T0.AddDays(-1), Store(TestChannels.T0, "beta").ReadState()!.Issued);
    }

    [Fact]
    public async Task A_floor_kept_before_floors_were_per_name_still_counts_for_its_channel()
    {
        Directory.CreateDirectory(Path.Combine(_device.StateDir, "channel"));
        File.WriteAllText(Path.Combine(_device.StateDir, "channel", "state.json"),
            """{"channel":"stable","version":40,"payload_sha256":"00","expires":"2026-12-31T00:00:00+00:00","accepted_at":"2026-11-01T00:00:00+00:00","etag":"\"old\""}""");

        var error = await Assert.ThrowsAsync<UpdaterException>(() => Store(TestChannels.T0).AcceptAsync(Verified(TestChannels.Document(version: 39)), null, CancellationToken.None));
        Assert.Contains("version 39 is older than version 40", error.Message, StringComparison.Ordinal);
        await Store(TestChannels.T0, "beta").AcceptAsync(Verified(TestChannels.Document(version: 1, channel: "beta")), null, CancellationToken.None);
        await Store(TestChannels.T0).AcceptAsync(Verified(TestChannels.Document(version: 41)), null, CancellationToken.None);
        Assert.Equal(41, Store(TestChannels.T0).ReadState()!.Version);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("")]
    public void A_channel_name_is_one_path_component(string name)
    {
        var error = Assert.Throws<UpdaterException>(() => Store(TestChannels.T0, name));
        Assert.Contains("is not a channel name", error.Message, StringComparison.Ordinal);
        var doc = Assert.Throws<UpdaterException>(() => Verified(TestChannels.Document(channel: name)));
        Assert.Contains("channel field 'channel' must be a name of 1..64 ASCII letters", doc.Message, StringComparison.Ordinal);
    }

    private static byte[] Without(ChannelDocument doc, params string[] path)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(doc, ChannelJsonContext.Default.ChannelDocument))!.AsObject();
        for (int i = 0; i < path.Length - 1; i++)
        {
            node = node[path[i]]!.AsObject();
        }
        node.Remove(path[^1]);
        var root = node;
        while (root.Parent is { } parent)
        {
            root = parent.AsObject();
        }
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    [Fact]
    public void A_channel_without_a_manifest_pin_is_refused()
    {
        var error = Assert.Throws<UpdaterException>(() => VerifiedChannel.ParseDocument(Without(TestChannels.Document(), "release", "manifest_sha256"), "c.json"));
        Assert.StartsWith("c.json: channel document is malformed: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("manifest_sha256", error.Message, StringComparison.Ordinal);
        Assert.Throws<UpdaterException>(() => VerifiedChannel.Sign(Without(TestChannels.Document(), "release", "manifest_sha256"), [_device.Key], "c.json"));

        var bad = Assert.Throws<UpdaterException>(() => Verified(TestChannels.Document(manifestSha: "ABC")));
        Assert.Contains("channel field 'release.manifest_sha256' must be 64 lowercase hex digits", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_channel_without_an_issued_time_is_refused_and_issued_comes_before_expires()
    {
        var error = Assert.Throws<UpdaterException>(() => VerifiedChannel.ParseDocument(Without(TestChannels.Document(), "issued"), "c.json"));
        Assert.StartsWith("c.json: channel document is malformed: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("issued", error.Message, StringComparison.Ordinal);

        var late = Assert.Throws<UpdaterException>(() => Verified(TestChannels.Document(issued: TestChannels.T0.AddDays(30))));
        Assert.Equal("test: channel field 'issued' is 2026-12-31T00:00Z, it must be earlier than 'expires' (2026-12-31T00:00Z)", late.Message);
    }

    [Fact]
    public void A_format_1_channel_is_refused_saying_what_to_do()
    {
        // What a format 1 vendor tool wrote: no issued time, no pin.
        byte[] old = Encoding.UTF8.GetBytes("""{"format":1,"channel":"stable","version":4,"expires":"2027-01-01T00:00:00+00:00","compatible":"test-board","release":{"version":"2.1.0","bundle_url":"b","bundle_size":1},"rollout":{"waves":[{"percent":100,"start":"2026-12-01T00:00:00+00:00"}]}}""");

        var error = Assert.Throws<UpdaterException>(() => VerifiedChannel.ParseDocument(old, "c.json"));

        Assert.StartsWith("c.json: channel field 'format' is 1, this updater reads format 2 only", error.Message, StringComparison.Ordinal);
        Assert.Contains("re-create the file with `updater channel create`", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_accepted_channel_keeps_the_clock_from_going_back_and_a_replayed_expired_channel_is_refused_at_1970()
    {
        // The device accepted version 6, issued 40 days after T0.
        var issued = TestChannels.T0.AddDays(40);
        await Store(issued).AcceptAsync(Verified(TestChannels.Document(version: 6, issued: issued, expires: issued.AddDays(30))), null, CancellationToken.None);
        var before = StateFiles();

        // Its clock then says 1970 (a dead RTC battery): version 5, expired at T0+30d, is replayed.
        var error = await Assert.ThrowsAsync<UpdaterException>(() => Store(DateTimeOffset.UnixEpoch).AcceptAsync(Verified(TestChannels.Document(version: 5)), null, CancellationToken.None));

        Assert.Equal("test-channel: channel 'stable' version 5 expired at 2026-12-31T00:00Z and the device clock says 1970-01-01T00:00Z, the newest signed time is 2027-01-10T00:00Z from channel 'stable' version 6 (issued): using 2027-01-10T00:00Z: refusing a stale channel that may be replayed to freeze this device; the vendor must publish a fresh one", error.Message);
        Assert.Equal(before, StateFiles());
    }

    [Fact]
    public async Task Switching_channels_does_not_turn_the_clock_back()
    {
        var issued = TestChannels.T0.AddDays(40);
        await Store(issued, "beta").AcceptAsync(Verified(TestChannels.Document(version: 1, channel: "beta", issued: issued, expires: issued.AddDays(30))), null, CancellationToken.None);

        // Back to stable, which this device has no floor for: its expired version 5 still does not pass at 1970.
        var error = await Assert.ThrowsAsync<UpdaterException>(() => Store(DateTimeOffset.UnixEpoch).AcceptAsync(Verified(TestChannels.Document(version: 5)), null, CancellationToken.None));

        Assert.Contains("expired at 2026-12-31T00:00Z and the device clock says 1970-01-01T00:00Z, the newest signed time is 2027-01-10T00:00Z from channel 'beta' version 1 (issued)", error.Message, StringComparison.Ordinal);
        Assert.Null(Store(DateTimeOffset.UnixEpoch).ReadState());
    }

    [Fact]
    public async Task An_expired_channel_on_a_clock_ahead_names_the_clock_and_the_expiry()
    {
        var year2100 = new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var error = await Assert.ThrowsAsync<UpdaterException>(() => Store(year2100).AcceptAsync(Verified(TestChannels.Document(version: 9)), null, CancellationToken.None));

        Assert.Equal("test-channel: channel 'stable' version 9 expired at 2026-12-31T00:00Z and the device clock says 2100-01-01T00:00Z: refusing a stale channel that may be replayed to freeze this device; if the device clock is wrong (ahead), set it right, otherwise the vendor must publish a fresh one", error.Message);
        Assert.Empty(StateFiles());
    }

    [Fact]
    public async Task With_signed_time_only_a_clock_far_ahead_expires_nothing()
    {
        var year2100 = new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var store = Store(year2100, mode: ClockMode.Signed);
        await store.AcceptAsync(Verified(TestChannels.Document(version: 9)), null, CancellationToken.None);
        Assert.Equal(9, store.ReadState()!.Version);
    }
}
