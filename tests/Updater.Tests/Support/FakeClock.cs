// SPDX-License-Identifier: Apache-2.0
using Microsoft.Extensions.Time.Testing;

namespace Updater.Tests.Support;

/// <summary>
/// The Updater tests' clock: a <see cref="WatchedFakeTimeProvider"/> at the channel documents' epoch, and a
/// stepping driver for the transport tests that still use it (advance while the operation has not finished).
/// New tests wait for the armed timer instead (<see cref="WatchedFakeTimeProvider.WaitForTimerAsync"/>):
/// stepping depends on how fast the machine is, waiting does not.
/// </summary>
internal static class FakeClock
{
    public static WatchedFakeTimeProvider Create() => new(TestChannels.T0);

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
