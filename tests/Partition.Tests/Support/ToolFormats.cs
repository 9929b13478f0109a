// SPDX-License-Identifier: Apache-2.0
namespace Partition.Tests.Support;

/// <summary>
/// The text formats of the real U-Boot and GRUB tools that the interop tests write or compare with: the
/// fw_env.config that fw_printenv/fw_setenv read, and the listing they and grub-editenv print. Running the tools
/// is <see cref="ProcessRunner"/>'s and <see cref="GrubEnvFile"/>'s work.
/// </summary>
public static class ToolFormats
{
    /// <summary>What `grub-editenv list` and `fw_printenv` print for these variables.</summary>
    public static string Listing(IEnumerable<KeyValuePair<string, string>> variables) =>
        string.Concat(variables.Select(v => $"{v.Key}={v.Value}\n"));

    /// <summary>Writes an fw_env.config for a file: one line per copy.</summary>
    public static string FwEnvConfig(TempDirectory dir, string device, long offset, int size, long? redundantOffset)
    {
        string config = dir.Path("fw_env.config");
        var text = $"{device} 0x{offset:x} 0x{size:x}\n";
        if (redundantOffset is { } second)
        {
            text += $"{device} 0x{second:x} 0x{size:x}\n";
        }

        File.WriteAllText(config, text);
        return config;
    }
}
