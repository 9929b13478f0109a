// SPDX-License-Identifier: Apache-2.0
using Updater.Crypto;
using Updater.Tests.Support;
using Updater.Trust;

namespace Updater.Tests.Trust;

/// <summary>The root of trust as logic: roles, thresholds, rotation one version at a time, expiry. No I/O but files in memory.</summary>
public sealed class TrustRootTests : IDisposable
{
    private readonly SigningKey _r1 = SigningKey.Generate(), _r2 = SigningKey.Generate(), _r3 = SigningKey.Generate();
    private readonly SigningKey _b1 = SigningKey.Generate(), _b2 = SigningKey.Generate(), _c1 = SigningKey.Generate();

    public void Dispose()
    {
        foreach (var k in new[] { _r1, _r2, _r3, _b1, _b2, _c1 })
        {
            k.Dispose();
        }
    }

    private static readonly byte[] Manifest = "{\"a\":1}"u8.ToArray();

    private TrustRoot V1(int bundleThreshold = 1) =>
        TrustRoot.OpenAnchor(TestRoots.Sign(TestRoots.Document(1, [_r1, _r2], [_b1, _b2], [_c1], rootThreshold: 2, bundleThreshold: bundleThreshold), _r1, _r2), "v1");

    private static IReadOnlyList<SignatureEntry> Signatures(string domain, params SigningKey[] keys) =>
        SignatureEnvelope.Parse(SignatureEnvelope.Create(domain, Manifest, keys), "test");

    [Fact]
    public void A_bundle_key_verifies_a_bundle_and_names_itself()
    {
        Assert.Equal([_b1.Id], V1().Verify(TrustRole.Bundle, "d", Manifest, Signatures("d", _b1), "bundle"));
    }

    [Fact]
    public void A_channel_key_never_counts_for_a_bundle()
    {
        var e = Assert.Throws<UpdaterException>(() => V1().Verify(TrustRole.Bundle, "d", Manifest, Signatures("d", _c1), "bundle"));
        Assert.Equal($"bundle: 0 valid signature(s) by bundle keys, 1 of 2 needed (trust root version 1); signatures that do not count: {_c1.Id} (a channel key: it does not count for bundle)", e.Message);
    }

    [Fact]
    public void A_root_key_never_counts_for_a_bundle()
    {
        var e = Assert.Throws<UpdaterException>(() => V1().Verify(TrustRole.Bundle, "d", Manifest, Signatures("d", _r1), "bundle"));
        Assert.Contains("(a root key: it does not count for bundle)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_of_two_required_bundle_keys_is_not_enough_and_both_are()
    {
        var root = V1(bundleThreshold: 2);
        var e = Assert.Throws<UpdaterException>(() => root.Verify(TrustRole.Bundle, "d", Manifest, Signatures("d", _b1), "bundle"));
        Assert.Contains($"1 valid signature(s) by bundle keys ({_b1.Id}), 2 of 2 needed", e.Message, StringComparison.Ordinal);
        Assert.Equal([_b1.Id, _b2.Id], root.Verify(TrustRole.Bundle, "d", Manifest, Signatures("d", _b1, _b2), "bundle"));
    }

    [Fact]
    public void A_signature_by_a_role_key_that_does_not_verify_fails_even_when_the_threshold_is_met_otherwise()
    {
        var good = Signatures("d", _b1).Single();
        var forged = Signatures("other-domain", _b2).Single();
        var e = Assert.Throws<UpdaterException>(() => V1().Verify(TrustRole.Bundle, "d", Manifest, [good, forged], "bundle"));
        Assert.Contains($"the signature by bundle key {_b2.Id} does not verify", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_key_twice_is_refused_not_counted_twice()
    {
        var one = Signatures("d", _b1).Single();
        var e = Assert.Throws<UpdaterException>(() => SignatureEnvelope.CheckEntries([one, one], "bundle"));
        Assert.Contains($"key {_b1.Id} signs twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_anchor_not_signed_by_its_own_root_threshold_is_refused()
    {
        byte[] file = TestRoots.Sign(TestRoots.Document(1, [_r1, _r2], [_b1], [_c1], rootThreshold: 2), _r1);
        var e = Assert.Throws<UpdaterException>(() => TrustRoot.OpenAnchor(file, "root.json"));
        Assert.Contains("1 valid signature(s) by root keys", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rotation_needs_the_old_threshold_and_its_own()
    {
        var v1 = V1();
        // v2 replaces root key r2 by r3. Signed by r1+r2 (old threshold) and r1+r3 (new threshold): accepted.
        var doc = TestRoots.Document(2, [_r1, _r3], [_b1], [_c1], rootThreshold: 2);
        Assert.Equal(2, v1.Next(TestRoots.Sign(doc, _r1, _r2, _r3), "2.root.json").Version);

        // Only the new keys: the old root never agreed.
        var e = Assert.Throws<UpdaterException>(() => v1.Next(TestRoots.Sign(doc, _r1, _r3), "2.root.json"));
        Assert.StartsWith("2.root.json: as root version 2, the successor of trusted version 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("1 valid signature(s) by root keys", e.Message, StringComparison.Ordinal);

        // Only the old keys: the new root's own keys never agreed.
        e = Assert.Throws<UpdaterException>(() => v1.Next(TestRoots.Sign(doc, _r1, _r2), "2.root.json"));
        Assert.StartsWith("2.root.json: root version 2 by its own root keys", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_skipped_version_and_an_older_one_are_refused_even_when_validly_signed()
    {
        var v1 = V1();
        var skipped = Assert.Throws<UpdaterException>(() => v1.Next(TestRoots.Sign(TestRoots.Document(3, [_r1, _r2], [_b1], [_c1], rootThreshold: 2), _r1, _r2), "2.root.json"));
        Assert.Equal("2.root.json: root version 3 skips version 2: each root version must be installed in turn", skipped.Message);
        var same = Assert.Throws<UpdaterException>(() => v1.Next(TestRoots.Sign(TestRoots.Document(1, [_r1, _r2], [_b1], [_c1], rootThreshold: 2), _r1, _r2), "2.root.json"));
        Assert.Equal("2.root.json: root version 1 is not newer than trusted version 1: refusing a rolled-back root", same.Message);
    }

    [Fact]
    public void A_revoked_bundle_key_stops_counting_after_the_rotation()
    {
        var v1 = V1();
        var v2 = v1.Next(TestRoots.Sign(TestRoots.Document(2, [_r1, _r2], [_b2], [_c1], rootThreshold: 2), _r1, _r2), "2.root.json");
        Assert.NotEmpty(v1.Verify(TrustRole.Bundle, "d", Manifest, Signatures("d", _b1), "bundle"));
        var e = Assert.Throws<UpdaterException>(() => v2.Verify(TrustRole.Bundle, "d", Manifest, Signatures("d", _b1), "bundle"));
        Assert.Contains($"{_b1.Id} (not a key of trust root version 2)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_root_vouches_for_nothing_but_may_be_replaced()
    {
        var expired = TrustRoot.OpenAnchor(TestRoots.Sign(TestRoots.Document(1, [_r1], [_b1], [_c1], issued: TestRoots.Issued, expires: TestRoots.Issued.AddDays(10)), _r1), "root.json");
        var e = Assert.Throws<UpdaterException>(() => expired.RequireCurrent(TestRoots.Issued.AddDays(11), "https://h/stable.channel"));
        Assert.Equal("https://h/stable.channel: trust root version 1 (root.json) expired at 2026-11-11T00:00Z (this device's clock: 2026-11-12T00:00Z): nothing is trusted until root version 2 is installed (publish 2.root.json beside the channel file, or run `updater trust update FILE`)", e.Message);
        var next = expired.Next(TestRoots.Sign(TestRoots.Document(2, [_r1], [_b1], [_c1]), _r1), "2.root.json");
        next.RequireCurrent(TestRoots.Issued.AddDays(11), "x");
    }

    [Theory]
    [InlineData("format", "2", "root field 'format' is 2")]
    [InlineData("type", "\"other\"", "root field 'type' must be")]
    [InlineData("version", "0", "root field 'version' must be 1 or more")]
    [InlineData("expires", "\"2020-01-01T00:00:00Z\"", "root field 'expires' must be later than 'issued'")]
    public void A_malformed_root_names_its_field(string field, string value, string expected)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(RootDraft.Serialize(TestRoots.Document(1, [_r1], [_b1], [_c1])))!;
        node[field] = System.Text.Json.Nodes.JsonNode.Parse(value);
        var e = Assert.Throws<UpdaterException>(() => RootRules.Parse(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()), "root.json"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_whose_id_is_not_its_hash_is_refused()
    {
        var doc = TestRoots.Document(1, [_r1], [_b1], [_c1]);
        doc = doc with { Keys = doc.Keys.Select(k => k.Id == _b1.Id ? k with { Public = doc.Keys.First(x => x.Id == _c1.Id).Public } : k).ToList() };
        var e = Assert.Throws<UpdaterException>(() => RootRules.Check(doc, "root.json"));
        Assert.Contains("root field 'keys[1].id' must be", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_threshold_above_the_number_of_keys_is_refused()
    {
        var e = Assert.Throws<UpdaterException>(() => RootRules.Check(TestRoots.Document(1, [_r1], [_b1], [_c1], bundleThreshold: 2), "root.json"));
        Assert.Equal("root.json: root field 'roles.bundle.threshold' is 2, expected 1..1 (the number of its keys)", e.Message);
    }
}
