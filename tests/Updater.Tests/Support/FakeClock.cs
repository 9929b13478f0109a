using Microsoft.Extensions.Time.Testing;

namespace Updater.Tests.Support;

/// <summary>Drives a fake clock while an operation waits on it (backoff, Retry-After, timeouts), without real sleeping.</summary>
internal static class FakeClock
{
    public static FakeTimeProvider Create() => new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Advances <paramref name="time"/> by <paramref name="step"/> whenever the operation has not finished yet.</summary>
    public static async Task<T> RunAsync<T>(FakeTimeProvider time, Task<T> operation, TimeSpan step, int maxSteps = 100_000)
    {
        for (int i = 0; i < maxSteps && !operation.IsCompleted; i++)
        {
            await Task.WhenAny(operation, Task.Delay(2)).ConfigureAwait(false);
            if (!operation.IsCompleted)
            {
                time.Advance(step);
            }
        }
        return await operation.ConfigureAwait(false);
    }

    public static async Task RunAsync(FakeTimeProvider time, Task operation, TimeSpan step) =>
        await RunAsync(time, operation.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default), step).ConfigureAwait(false);
}
