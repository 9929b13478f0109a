// SPDX-License-Identifier: Apache-2.0
using System.Text;

namespace HealthCheck.Checks;

/// <summary>
/// The mount points of this process's mount namespace, read from <c>/proc/self/mountinfo</c> (proc(5)): the
/// kernel's own list, which also holds bind mounts that share a device with their parent and that st_dev
/// comparisons miss.
/// </summary>
internal static class MountTable
{
    public const string MountInfoPath = "/proc/self/mountinfo";

    /// <summary>Mount point to file system type; a path mounted over several times appears once, with the top one.</summary>
    public static async Task<Dictionary<string, string>> ReadAsync(CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(MountInfoPath, cancellationToken).ConfigureAwait(false);
        return Parse(text);
    }

    // Line: "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue": the mount
    // point is field 5; the file system type is the first field after the "-" that ends the optional fields.
    public static Dictionary<string, string> Parse(string mountInfo)
    {
        var mounts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", 6);
            if (fields.Length < 5 || separator < 0 || separator + 1 >= fields.Length)
            {
                continue;
            }

            mounts[Unescape(fields[4])] = Unescape(fields[separator + 1]);
        }

        return mounts;
    }

    // The kernel writes space, tab, newline and backslash in paths as three-digit octal escapes (\040 ...); it
    // escapes nothing else, so each escape stands for one ASCII character.
    internal static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var text = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                text.Append((char)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }

        return text.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
