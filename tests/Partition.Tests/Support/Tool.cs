using System.Diagnostics;
using System.Text;

namespace Partition.Tests.Support;

/// <summary>Runs the real bootloader tools (grub-editenv, fw_printenv, fw_setenv, mkimage). They must be installed: no skipping.</summary>
public static class Tool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs and requires exit code 0.</summary>
    public static async Task<string> CheckAsync(string program, params string[] arguments)
    {
        var result = await RunAsync(program, arguments);
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {result.ExitCode}: {result.Stderr}");
        return result.Stdout;
    }

    /// <summary>`grub-editenv FILE list` as it prints: one "name=value" line per variable, in block order.</summary>
    public static Task<string> GrubListAsync(string file) => CheckAsync("grub-editenv", file, "list");

    /// <summary>What `grub-editenv list` and `fw_printenv` print for these variables.</summary>
    public static string Listing(IEnumerable<KeyValuePair<string, string>> variables) =>
        string.Concat(variables.Select(v => $"{v.Key}={v.Value}\n"));

    /// <summary>Writes an fw_env.config for a file: one line per copy.</summary>
    public static string FwEnvConfig(TempDirectory dir, string device, long offset, int size, long? redundantOffset)
    {
        string config = dir.File("fw_env.config");
        var text = $"{device} 0x{offset:x} 0x{size:x}\n";
        if (redundantOffset is { } second)
        {
            text += $"{device} 0x{second:x} 0x{size:x}\n";
        }

        File.WriteAllText(config, text);
        return config;
    }
}
