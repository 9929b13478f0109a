// SPDX-License-Identifier: Apache-2.0
using System.Text;
using System.Text.Json;
using Updater.Crypto;
using Updater.Fleet;
using Updater.State;
using Updater.Tests.Support;

namespace Updater.Tests.Bundles;

/// <summary>
/// JSON from outside is read strictly everywhere, not only in manifests (ManifestRulesTests): a duplicate key
/// in a channel document, a channel file or a state-directory file is an error naming the key and where it
/// stopped, never last-wins (two readers must not see two different documents in the same bytes).
/// </summary>
public sealed class StrictJsonTests : IDisposable
{
    private readonly TestDevice _box = new();

    public void Dispose() => _box.Dispose();

    private static byte[] DuplicateFirstKey(byte[] json, string key, string value)
    {
        string text = Encoding.UTF8.GetString(json);
        int brace = text.IndexOf('{', StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(text[..(brace + 1)] + $"\"{key}\":{value}," + text[(brace + 1)..]);
    }

    [Fact]
    public void A_channel_document_with_a_duplicate_key_is_refused()
    {
        byte[] document = JsonSerializer.SerializeToUtf8Bytes(TestChannels.Document(version: 5), ChannelJsonContext.Default.ChannelDocument);
        VerifiedChannel.ParseDocument(document, "channel.json");

        var e = Assert.Throws<UpdaterException>(() => VerifiedChannel.ParseDocument(DuplicateFirstKey(document, "version", "99"), "channel.json"));

        Assert.StartsWith("channel.json: channel document is malformed: Duplicate property 'version'", e.Message, StringComparison.Ordinal);
        Assert.Matches(@"\(at line \d+, byte \d+ of that line, JSON path \$\.version\)$", e.Message);
    }

    [Fact]
    public void A_signed_channel_file_with_two_payloads_is_refused()
    {
        byte[] file = TestChannels.Sign(TestChannels.Document(), _box.Key);
        string otherPayload = Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(TestChannels.Document(halted: true), ChannelJsonContext.Default.ChannelDocument));

        var e = Assert.Throws<UpdaterException>(() => VerifiedChannel.Open(DuplicateFirstKey(file, "payload", $"\"{otherPayload}\""), _box.LoadRoot(), "https://h/c"));

        Assert.StartsWith("https://h/c: not a channel file: Duplicate property 'payload'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signature_envelope_with_a_duplicate_key_is_refused()
    {
        byte[] document = Encoding.UTF8.GetBytes("{}");
        byte[] envelope = SignatureEnvelope.Create("test", document, [_box.Key]);
        Assert.NotEmpty(_box.LoadRoot().Verify(Updater.Trust.TrustRole.Bundle, "test", document, SignatureEnvelope.Parse(envelope, "x"), "x"));

        // A second "signatures" array first: last-wins would let a reader and a verifier disagree on what was signed.
        var e = Assert.Throws<UpdaterException>(() => SignatureEnvelope.Parse(DuplicateFirstKey(envelope, "signatures", "[]"), "x"));

        Assert.StartsWith("x: signature envelope is not valid JSON: Duplicate property 'signatures'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_state_file_with_a_duplicate_key_is_refused_naming_the_file_and_key()
    {
        var state = new StateDirectory(_box.StateDir);
        await state.WriteJournalAsync(new InstallJournal
        {
            ManifestSha256 = new string('a', 64),
            Version = "2.0.0",
            TargetBootname = "B",
            Source = "u.bundle",
            StartedAt = TestChannels.T0,
        }, CancellationToken.None);
        string path = Path.Combine(_box.StateDir, "install.json");
        Assert.Equal("2.0.0", state.ReadJournal()!.Version);
        await File.WriteAllBytesAsync(path, DuplicateFirstKey(await File.ReadAllBytesAsync(path), "version", "\"9.9.9\""));

        var e = Assert.Throws<UpdaterException>(state.ReadJournal);

        Assert.StartsWith($"{path}: state file is corrupt: Duplicate property 'version'", e.Message, StringComparison.Ordinal);
    }
}
