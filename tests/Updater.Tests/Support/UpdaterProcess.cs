// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;

namespace Updater.Tests.Support;

/// <summary>
/// The real `updater` executable (the apphost built beside the tests) as its own process, so tests see exactly
/// what an operator or a service sees: exit codes, stdout, stderr, and what a kill -9 leaves behind.
/// </summary>
internal static class UpdaterProcess
{
    public static string Executable => Path.Combine(AppContext.BaseDirectory, "updater");

    /// <summary>For tests that must own the process (to kill it part way); others use <see cref="RunAsync"/>.</summary>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var start = ProcessRunner.StartInfo(Executable, args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        return start;
    }

    public static Task<ProcessResult> RunAsync(params string[] args) => ProcessRunner.RunAsync(Executable, args);

    /// <summary>Runs it and asserts the exit code, showing both streams when it differs.</summary>
    public static async Task<ProcessResult> ExpectAsync(int exitCode, params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == exitCode,
            $"updater {string.Join(' ', args)}: expected exit {exitCode}, got {result.ExitCode}\nstdout:\n{result.Stdout}\nstderr:\n{result.Stderr}");
        return result;
    }
}
