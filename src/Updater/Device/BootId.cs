// SPDX-License-Identifier: Apache-2.0
namespace Updater.Device;

/// <summary>The kernel's random id of this boot: what tells one boot of a slot from the next.</summary>
internal static class BootId
{
    private const string KernelPath = "/proc/sys/kernel/random/boot_id";

    /// <exception cref="UpdaterException">The kernel does not say (no /proc).</exception>
    public static string Current()
    {
        try
        {
            string id = File.ReadAllText(KernelPath).Trim();
            if (!Guid.TryParse(id, out _))
            {
                throw new UpdaterException(ExitCode.Io, $"{KernelPath}: '{string.Concat(id.Take(40).Select(c => char.IsControl(c) ? '?' : c))}' is not a boot id");
            }
            return id;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UpdaterException(ExitCode.Io, $"{KernelPath}: cannot be read: {e.Message}", e);
        }
    }
}
