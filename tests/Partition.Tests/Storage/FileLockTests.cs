// SPDX-License-Identifier: Apache-2.0
using Partition.Storage;

namespace Partition.Tests.Storage;

/// <summary>One holder at a time, in this process and against another one (util-linux flock(1)), until disposed.</summary>
public sealed class FileLockTests : IDisposable
{
    private static readonly TimeSpan Blocked = TimeSpan.FromMilliseconds(300);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Whether another process can take the lock right now: `flock -n` exits 1 when it is held.</summary>
    private static async Task<bool> AnotherProcessCanLock(string path) =>
        (await ProcessRunner.RunAsync("flock", "--nonblock", "--conflict-exit-code", "1", path, "true")).ExitCode == 0;

    [Fact]
    public async Task A_second_holder_is_refused_while_the_first_holds_it_and_gets_it_once_released()
    {
        string path = _dir.Path("install.lock");

        using (var first = FileLock.TryAcquire(path))
        {
            Assert.NotNull(first);
            Assert.Null(FileLock.TryAcquire(path));
            Assert.False(await AnotherProcessCanLock(path), "another process must be refused while the lock is held");
        }

        Assert.True(await AnotherProcessCanLock(path), "disposing must release the lock");
        using var again = FileLock.TryAcquire(path);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task Acquire_waits_while_another_holds_the_lock_and_returns_when_it_is_released()
    {
        string path = _dir.Path("env.lock");
        var first = FileLock.TryAcquire(path)!;

        var waiting = FileLock.AcquireAsync(path, CancellationToken.None);
        await Task.WhenAny(waiting, Task.Delay(Blocked));
        Assert.False(waiting.IsCompleted, "AcquireAsync must wait while the lock is held");

        first.Dispose();
        using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(FileLock.TryAcquire(path));
    }
}
