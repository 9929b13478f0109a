// SPDX-License-Identifier: Apache-2.0
using Partition.Storage;

namespace Partition.Bootloaders;

/// <summary>
/// The cross-process lock held while an environment is read, changed and written, so that two updater processes
/// (the daemon's health verdict and a person's `updater mark-bad`, say) cannot lose each other's change: a
/// <see cref="FileLock"/> on a dedicated file beside the environment. Not the environment itself: a file replaced by
/// rename changes its inode, and a device node is opened by the tools too.
/// </summary>
internal static class EnvironmentLock
{
    /// <summary>The lock file of the environment at <paramref name="environment"/>: ".NAME.lock" in its directory.</summary>
    public static string PathFor(string environment)
    {
        string full = Path.GetFullPath(environment);
        return Path.Combine(Path.GetDirectoryName(full) ?? "/", $".{Path.GetFileName(full)}.lock");
    }

    public static async Task<FileLock> AcquireAsync(string environment, CancellationToken cancellationToken)
    {
        string path = PathFor(environment);
        try
        {
            return await FileLock.AcquireAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new BootEnvironmentException(environment, $"cannot take the lock {path}", e);
        }
    }
}
