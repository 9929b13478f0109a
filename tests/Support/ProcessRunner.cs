// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;

namespace TestSupport;

/// <summary>
/// The one way tests start a host tool or the program under test: arguments passed as a list (never a shell
/// line), stdout and stderr captured apart, and a deadline after which the process tree is killed, so a hung
/// tool fails its test with a message instead of hanging the whole run.
/// </summary>
public static class ProcessRunner
{
    /// <summary>Long enough for a container boot or a big install on a loaded CI machine; a hang still ends.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    public static Task<ProcessResult> RunAsync(string file, params string[] arguments) => RunAsync(StartInfo(file, arguments));

    /// <summary>Runs <paramref name="start"/> (its output is redirected here) and returns how it ended, whatever the exit code.</summary>
    public static async Task<ProcessResult> RunAsync(ProcessStartInfo start, TimeSpan? timeout = null)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
            throw new TimeoutException($"{Describe(start)} did not exit within {timeout ?? DefaultTimeout}: {(await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false)).Trim()}");
        }
        return new ProcessResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>For test setup: like <see cref="RunAsync(string, string[])"/>, but a non-zero exit throws with the output.</summary>
    public static async Task<ProcessResult> RunCheckedAsync(string file, params string[] arguments)
    {
        var start = StartInfo(file, arguments);
        var result = await RunAsync(start).ConfigureAwait(false);
        return result.ExitCode == 0
            ? result
            : throw new InvalidOperationException($"{Describe(start)} exited {result.ExitCode}: {result.Output}");
    }

    /// <summary>
    /// <see cref="RunCheckedAsync"/> for constructors and synchronous tests. Nothing inside needs the caller's
    /// synchronization context (every await is ConfigureAwait(false)), so blocking here cannot deadlock.
    /// </summary>
    public static ProcessResult RunChecked(string file, params string[] arguments) =>
        RunCheckedAsync(file, arguments).GetAwaiter().GetResult();

    public static ProcessStartInfo StartInfo(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    }

    private static string Describe(ProcessStartInfo start) => string.Join(' ', [start.FileName, .. start.ArgumentList]);
}
