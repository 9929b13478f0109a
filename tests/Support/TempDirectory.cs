// SPDX-License-Identifier: Apache-2.0
namespace TestSupport;

/// <summary>A directory of its own under the system temp directory, deleted with everything in it on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "updater-test-")
    {
        Root = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Root { get; }

    /// <summary>A path inside the directory; nothing is created.</summary>
    public string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Something still mounted or open inside (a failed test's leftovers): the OS cleans /tmp, the test's
            // own failure is the message worth keeping.
        }
    }
}
