using System.Diagnostics;

namespace Updater.Tests.Support;

/// <summary>A real loop block device over a file (`losetup -f --show`), detached on dispose. Needs root, as in CI.</summary>
internal sealed class LoopDevice : IDisposable
{
    private LoopDevice(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public static LoopDevice Attach(string backingFile)
    {
        string device = Run("losetup", "-f", "--show", backingFile).Trim();
        if (!device.StartsWith("/dev/loop", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"losetup printed '{device}'");
        }
        return new LoopDevice(device);
    }

    public void Dispose() => Run("losetup", "-d", Path);

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {error}");
        }
        return output;
    }
}
