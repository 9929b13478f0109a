// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.SystemdBoot;

/// <summary>
/// A Boot Loader Specification Type #1 entry or loader.conf, as systemd-boot reads them: one "key value" per line
/// (key and value separated by spaces or tabs), '#' lines are comments, blank lines are skipped. Only what the
/// backend checks is kept; the files are the operator's and are never rewritten.
/// </summary>
public sealed class BlsFile
{
    /// <summary>Entries are a few lines; anything this large is not one.</summary>
    public const int MaxSize = 64 * 1024;

    private readonly List<(string Key, string Value, int Line)> _lines;

    private BlsFile(string path, List<(string, string, int)> lines)
    {
        Path = path;
        _lines = lines;
    }

    public string Path { get; }

    /// <summary>The last value of <paramref name="key"/> (systemd-boot keeps the last), with its line number; null when absent.</summary>
    public (string Value, int Line)? Last(string key)
    {
        for (int i = _lines.Count - 1; i >= 0; i--)
        {
            if (_lines[i].Key == key)
            {
                return (_lines[i].Value, _lines[i].Line);
            }
        }
        return null;
    }

    /// <exception cref="BootEnvironmentException">Too large, not UTF-8, or a line without a value; names the line.</exception>
    public static BlsFile Parse(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length > MaxSize)
        {
            throw new BootEnvironmentException(path, null, $"is {bytes.Length} bytes; a boot loader entry or loader.conf is at most {MaxSize}");
        }
        string text = EnvironmentBootloader.DecodeUtf8(bytes, path, 0);
        var lines = new List<(string, string, int)>();
        int number = 0;
        foreach (string raw in text.Split('\n'))
        {
            number++;
            string line = raw.TrimEnd('\r').Trim(' ', '\t');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            int gap = line.IndexOfAny([' ', '\t']);
            string key = gap < 0 ? line : line[..gap];
            string value = gap < 0 ? "" : line[gap..].Trim(' ', '\t');
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
            {
                value = value[1..^1];
            }
            if (key.Any(char.IsControl) || value.Any(c => char.IsControl(c) && c != '\t'))
            {
                throw new BootEnvironmentException(path, null, $"line {number}: holds a control character");
            }
            lines.Add((key, value, number));
        }
        return new BlsFile(path, lines);
    }
}
