// SPDX-License-Identifier: Apache-2.0
using Partition.Storage;
using Updater.State;

namespace Updater.Trust;

/// <summary>
/// The device's trust: the root it ships with (update.conf [system] trust-root, in the image) and every later
/// version it accepted, each kept as <c>trust/N.root.json</c> in the state directory. Every load walks the chain
/// again from the shipped root, so a file slipped into the state directory gains nothing; a newer image's root
/// supersedes the stored versions up to its own. Versions are only ever walked forward, one at a time.
/// </summary>
internal sealed class TrustStore
{
    /// <summary>Rotations taken in one check; a device years behind catches up over a few checks.</summary>
    public const int MaxStepsPerUpdate = 64;

    private readonly string _anchorPath;
    private readonly string _directory;

    public TrustStore(string anchorPath, StateDirectory state)
    {
        _anchorPath = anchorPath;
        _directory = state.TrustDirectory;
    }

    public string AnchorPath => _anchorPath;

    /// <summary>The newest trusted root: the shipped one, walked forward through the stored successors.</summary>
    public TrustRoot Load()
    {
        var root = TrustRoot.OpenAnchor(SmallFile.Read(_anchorPath, TrustRoot.MaxFileBytes, "trust root"), _anchorPath);
        for (int steps = 0; steps < 100_000; steps++)
        {
            string next = StoredPath(root.Version + 1);
            if (!File.Exists(next))
            {
                return root;
            }
            try
            {
                root = root.Next(SmallFile.Read(next, TrustRoot.MaxFileBytes, "trust root"), next);
            }
            catch (UpdaterException e)
            {
                throw new UpdaterException(ExitCode.Io, $"{e.Message} (a stored root that no longer chains from {_anchorPath}: the state directory was changed; remove {next} and later versions, and the device walks the chain again from the server)");
            }
        }
        throw new UpdaterException(ExitCode.Io, $"{_directory}: more stored root versions than any real chain has");
    }

    /// <summary>
    /// Walks forward from the trusted root through what <paramref name="source"/> publishes, storing each
    /// version as it is accepted; stops at the first version not published. A refusal stops the walk and
    /// leaves what was accepted before it in place.
    /// </summary>
    /// <returns>The trusted root after the walk and the versions accepted on the way.</returns>
    public async Task<(TrustRoot Root, IReadOnlyList<long> Accepted)> UpdateAsync(IRootSource source, CancellationToken cancellationToken)
    {
        var root = Load();
        var accepted = new List<long>();
        for (int i = 0; i < MaxStepsPerUpdate; i++)
        {
            long version = root.Version + 1;
            byte[]? bytes = await source.FetchAsync(version, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                break;
            }
            root = await AcceptAsync(root, bytes, source.Name(version), cancellationToken).ConfigureAwait(false);
            accepted.Add(root.Version);
        }
        return (root, accepted);
    }

    /// <summary>Applies root files given by hand, in order: each must be the successor of the one before.</summary>
    public async Task<TrustRoot> ApplyAsync(IEnumerable<string> files, CancellationToken cancellationToken)
    {
        var root = Load();
        foreach (string file in files)
        {
            root = await AcceptAsync(root, SmallFile.Read(file, TrustRoot.MaxFileBytes, "root file"), file, cancellationToken).ConfigureAwait(false);
        }
        return root;
    }

    private async Task<TrustRoot> AcceptAsync(TrustRoot current, byte[] bytes, string source, CancellationToken cancellationToken)
    {
        var next = current.Next(bytes, source);
        Directory.CreateDirectory(_directory);
        await AtomicFile.WriteAsync(StoredPath(next.Version), next.FileBytes, cancellationToken).ConfigureAwait(false);
        return next;
    }

    private string StoredPath(long version) => Path.Combine(_directory, IRootSource.FileName(version));
}
