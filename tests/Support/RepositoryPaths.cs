// SPDX-License-Identifier: Apache-2.0
namespace TestSupport;

/// <summary>
/// Files of the repository that tests use as they are shipped or kept (dist/, fixtures/), found from the test
/// binary upwards, so tests run the same from any working directory.
/// </summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>A file under dist/: what goes onto a device.</summary>
    public static string Dist(string relative) => Path.Combine(Root, "dist", relative);

    /// <summary>A file under fixtures/: test-only keys, configuration templates and golden environments.</summary>
    public static string Fixture(string relative) => Path.Combine(Root, "fixtures", relative);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Updater.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Updater.sln above {AppContext.BaseDirectory}");
    }
}
