// SPDX-License-Identifier: Apache-2.0
using System.Text;
using System.Text.Json;
using Updater.Crypto;
using Updater.Fleet;
using Updater.Tests.Support;

namespace Updater.Tests.Fleet;

/// <summary>Signed channel files and the device's memory of the last one it accepted.</summary>
public sealed class ChannelFileTests : IDisposable
{
    private readonly TestDevice _device = new();

    public void Dispose() => _device.Dispose();

    private Updater.Trust.TrustRoot Keyring => _device.LoadRoot();

    private ChannelStore Store(DateTimeOffset now) => new(new Updater.State.StateDirectory(_device.StateDir), TestDevice.Compatible, new WatchedFakeTimeProvider(now));

    private VerifiedChannel Verified(ChannelDocument doc) => VerifiedChannel.Open(TestChannels.Sign(doc, _device.Key), Keyring, "test-channel");

    private string[] StateFiles() => Directory.Exists(Path.Combine(_device.StateDir, "channel"))
        ? Directory.GetFiles(Path.Combine(_device.StateDir, "channel")).Select(f => f + ":" + Convert.ToHexString(File.ReadAllBytes(f))).Order().ToArray()
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

        var error = Assert.Throws<UpdaterException>(() => VerifiedChannel.Open(tampered, Keyring, "test-channel"));
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

        Assert.Throws<UpdaterException>(() => VerifiedChannel.Open(file, Keyring, "test-channel"));
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
        Assert.Equal("2.2.0", store.ReadAccepted(Keyring)!.Document.Release.Version);
    }

    [Fact]
    public async Task A_channel_for_another_board_is_refused()
    {
        var other = TestChannels.Document() with { Compatible = "other-board" };
        var error = await Assert.ThrowsAsync<UpdaterException>(() => Store(TestChannels.T0).AcceptAsync(Verified(other), null, CancellationToken.None));
        Assert.Contains("'other-board'", error.Message, StringComparison.Ordinal);
    }
}
