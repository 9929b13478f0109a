namespace Updater.Transport;

/// <summary>Opens a bundle by what the operator typed: a path today; URLs get their own source.</summary>
public static class BundleSources
{
    public static Task<IBundleSource> OpenAsync(string location, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (location.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw new UpdaterException(ExitCode.Usage, $"{location}: installing from a URL is not supported by this build");
        }
        return Task.FromResult<IBundleSource>(FileBundleSource.Open(location));
    }
}
