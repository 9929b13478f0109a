// SPDX-License-Identifier: Apache-2.0
namespace Updater.Trust;

/// <summary>Where a device looks for the root versions after its own: N.root.json beside the channel file.</summary>
internal interface IRootSource
{
    /// <summary>The signed file of root <paramref name="version"/>, or null when it is not published (yet).</summary>
    Task<byte[]?> FetchAsync(long version, CancellationToken cancellationToken);

    /// <summary>Where root <paramref name="version"/> is looked for, for messages (no credentials).</summary>
    string Name(long version);

    public static string FileName(long version) => $"{version}.root.json";
}

/// <summary>Root files in a directory (a channel read from a local path, or a USB stick).</summary>
internal sealed class DirectoryRootSource(string directory) : IRootSource
{
    public Task<byte[]?> FetchAsync(long version, CancellationToken cancellationToken)
    {
        string path = Name(version);
        return Task.FromResult(File.Exists(path) ? SmallFile.Read(path, TrustRoot.MaxFileBytes, "root file") : null);
    }

    public string Name(long version) => Path.Combine(directory, IRootSource.FileName(version));
}
