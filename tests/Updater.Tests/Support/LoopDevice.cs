// SPDX-License-Identifier: Apache-2.0
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
        string device = ProcessRunner.RunChecked("losetup", "-f", "--show", backingFile).Stdout.Trim();
        if (!device.StartsWith("/dev/loop", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"losetup printed '{device}'");
        }
        return new LoopDevice(device);
    }

    public void Dispose() => ProcessRunner.RunChecked("losetup", "-d", Path);
}
