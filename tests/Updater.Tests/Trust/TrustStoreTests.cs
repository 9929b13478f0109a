// SPDX-License-Identifier: Apache-2.0
using Updater.Crypto;
using Updater.State;
using Updater.Tests.Support;
using Updater.Trust;

namespace Updater.Tests.Trust;

/// <summary>The device's trust on disk: the shipped root, the rotations it stored, walked again on every load.</summary>
public sealed class TrustStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly SigningKey _r1 = SigningKey.Generate(), _r2 = SigningKey.Generate(), _b = SigningKey.Generate();

    public void Dispose()
    {
        _r1.Dispose();
        _r2.Dispose();
        _b.Dispose();
        _dir.Dispose();
    }

    private string Anchor => _dir.Path("root.json");
    private string Published => Directory.CreateDirectory(_dir.Path("www")).FullName;
    private TrustStore Store => new(Anchor, new StateDirectory(_dir.Path("state")));

    private void Publish(long version, byte[] file) => File.WriteAllBytes(Path.Combine(Published, $"{version}.root.json"), file);

    private byte[] Root(long version, SigningKey rootKey, params SigningKey[] signers) => TestRoots.Sign(TestRoots.Document(version, [rootKey], [_b], [_b]), signers);

    [Fact]
    public async Task A_device_that_missed_versions_walks_each_in_turn_and_keeps_them()
    {
        File.WriteAllBytes(Anchor, Root(1, _r1, _r1));
        Publish(2, Root(2, _r2, _r1, _r2));
        Publish(3, Root(3, _r2, _r2));

        var (root, accepted) = await Store.UpdateAsync(new DirectoryRootSource(Published), CancellationToken.None);

        Assert.Equal(3, root.Version);
        Assert.Equal([2L, 3L], accepted);
        Assert.Equal(3, Store.Load().Version);
        Assert.True(File.Exists(_dir.Path("state/trust/2.root.json")));
    }

    [Fact]
    public async Task A_refused_version_stops_the_walk_and_keeps_what_was_accepted_before_it()
    {
        File.WriteAllBytes(Anchor, Root(1, _r1, _r1));
        Publish(2, Root(2, _r2, _r1, _r2));
        Publish(3, Root(3, _r1, _r1)); // signed by the key v2 dropped

        var e = await Assert.ThrowsAsync<UpdaterException>(() => Store.UpdateAsync(new DirectoryRootSource(Published), CancellationToken.None));

        Assert.Contains("3.root.json: as root version 3, the successor of trusted version 2", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, Store.Load().Version);
        Assert.False(File.Exists(_dir.Path("state/trust/3.root.json")));
    }

    [Fact]
    public void A_root_slipped_into_the_state_directory_does_not_chain_and_is_refused_naming_the_remedy()
    {
        File.WriteAllBytes(Anchor, Root(1, _r1, _r1));
        using var attacker = SigningKey.Generate();
        Directory.CreateDirectory(_dir.Path("state/trust"));
        File.WriteAllBytes(_dir.Path("state/trust/2.root.json"), Root(2, attacker, attacker));

        var e = Assert.Throws<UpdaterException>(() => Store.Load());

        Assert.Equal(ExitCode.Io, e.ExitCode);
        Assert.Contains("a stored root that no longer chains from", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_newer_shipped_root_supersedes_stored_versions_up_to_its_own()
    {
        File.WriteAllBytes(Anchor, Root(3, _r2, _r2));
        Directory.CreateDirectory(_dir.Path("state/trust"));
        File.WriteAllBytes(_dir.Path("state/trust/2.root.json"), Root(2, _r2, _r1, _r2));
        Assert.Equal(3, Store.Load().Version);
    }

    [Fact]
    public async Task An_older_root_given_by_hand_is_refused()
    {
        File.WriteAllBytes(Anchor, Root(1, _r1, _r1));
        string two = _dir.Path("2.root.json");
        File.WriteAllBytes(two, Root(2, _r1, _r1));
        await Store.ApplyAsync([two], CancellationToken.None);

        var e = await Assert.ThrowsAsync<UpdaterException>(() => Store.ApplyAsync([Anchor], CancellationToken.None));

        Assert.Contains("root version 1 is not newer than trusted version 2", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, Store.Load().Version);
    }
}
