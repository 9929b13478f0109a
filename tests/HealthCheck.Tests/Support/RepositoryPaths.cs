namespace HealthCheck.Tests.Support;

/// <summary>Files of the repository the tests use as they are shipped (dist/), found from the test binary upwards.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Dist(string relative) => Path.Combine(Root, "dist", relative);

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
