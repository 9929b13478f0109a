using System.Diagnostics;

namespace Updater.Tests.Support;

/// <summary>
/// Runs the real `updater` executable (the apphost built beside the tests) as its own process, so tests see
/// exactly what an operator or a service sees: exit codes, stdout, stderr, and what a kill -9 leaves behind.
/// </summary>
internal static class UpdaterProcess
{
    public static string Executable => Path.Combine(AppContext.BaseDirectory, "updater");

    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return psi;
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>`grub-editenv FILE list` as a dictionary: what GRUB itself will read.</summary>
    public static Dictionary<string, string> GrubEnvList(string file) =>
        LoopDevice.Run("grub-editenv", file, "list")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
}
