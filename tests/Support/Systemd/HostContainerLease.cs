// SPDX-License-Identifier: Apache-2.0
namespace TestSupport.Systemd;

/// <summary>
/// Keeps the containers of different test processes from running at the same time. Without systemd on the host,
/// <c>systemd-nspawn --keep-unit</c> leaves every container in the host's own cgroup, so two containers' systemd
/// manage the same system.slice: a unit both start (updater-health.service in HealthCheck.Tests and in
/// System.Tests) fails with status 219/CGROUP. A process takes the host-wide lock (an flock, which the kernel
/// drops if the process dies) with its first running container and gives it back with its last; inside one
/// process the containers overlap as before, since xunit runs only a few collections at once.
/// </summary>
internal static class HostContainerLease
{
    private static readonly string LockPath = Path.Combine(Path.GetTempPath(), "updater-tests-nspawn.lock");
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static int _holders;
    private static FileStream? _lock;

    public static async Task AcquireAsync()
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_holders == 0)
            {
                _lock = await LockAsync().ConfigureAwait(false);
            }
            _holders++;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task ReleaseAsync()
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (--_holders == 0)
            {
                await _lock!.DisposeAsync().ConfigureAwait(false);
                _lock = null;
            }
        }
        finally
        {
            Gate.Release();
        }
    }

    // FileShare.None is an exclusive flock on Linux: opening fails with an IOException while another process holds it.
    private static async Task<FileStream> LockAsync()
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }
    }
}
