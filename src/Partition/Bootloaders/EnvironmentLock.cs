// SPDX-License-Identifier: Apache-2.0
using Partition.Storage;

namespace Partition.Bootloaders;

/// <summary>
/// The cross-process lock held while an environment is read, changed and written, so that two updater processes
/// (the daemon's health verdict and a person's `updater mark-bad`, say) cannot lose each other's change: a
/// <see cref="FileLock"/> on a dedicated file beside the environment. Not the environment itself: a file replaced by
/// rename changes its inode, and a device node is opened by the tools too. Where no file can be created beside it
/// (efivarfs, and sysfs above it), the backend locks the environment's directory instead.
/// </summary>
internal static class EnvironmentLock
{
    /// <summary>The lock file of the environment at <paramref name="environment"/>: ".NAME.lock" in its directory.</summary>
    public static string PathFor(string environment)
    {
        string full = Path.GetFullPath(environment);
        return Path.Combine(Path.GetDirectoryName(full) ?? "/", $".{Path.GetFileName(full)}.lock");
    }

    /// <summary>Takes the lock on <paramref name="path"/> (<see cref="PathFor"/>, or a directory) for <paramref name="environment"/>.</summary>
    public static async Task<FileLock> AcquireAsync(string environment, string path, CancellationToken cancellationToken)
    {
        if (path == environment && !Directory.Exists(path))
        {
            // The environment's own directory is the lock: never create a file in its place.
            throw new BootEnvironmentException(environment, null, "is not a directory; is efivarfs mounted there?");
        }
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
