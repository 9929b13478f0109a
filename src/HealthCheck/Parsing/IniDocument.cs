// SPDX-License-Identifier: Apache-2.0
using System.Buffers;

namespace HealthCheck.Parsing;

/// <summary>
/// The INI syntax of the drop-ins, public so that a host reads its own INI files with the same grammar:
/// <list type="bullet">
/// <item><c>[name]</c> headers: letters, digits and <c>. _ - @ :</c>; a section given twice is an error.</item>
/// <item><c>key = value</c> lines: keys are letters, digits and <c>. _ -</c>; a key given twice in one section is an
/// error, not a silent override. The value runs to the end of the line (a URL or a command may hold '#').</item>
/// <item>Lines whose first non-blank character is <c>#</c> or <c>;</c> are comments; there are no comments after a
/// value and no continuation lines.</item>
/// <item>Lines end at '\n' (a '\r' before it is dropped); a control character other than tab is an error.</item>
/// </list>
/// The lexer only splits; what the sections and keys mean is for the reader on top of it.
/// </summary>
public sealed class IniDocument
{
    /// <summary>Configuration files are small; anything bigger is not a configuration file.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>Longer than any real key; keeps a hostile key out of messages that quote keys whole.</summary>
    public const int MaxKeyLength = 64;

    /// <summary>Longer than any real section name, for the same reason.</summary>
    public const int MaxSectionNameLength = 128;

    // C0 except tab, DEL and C1: a terminal or the journal would act on them if an error message echoed them.
    private static readonly SearchValues<char> Controls = SearchValues.Create(
        Enumerable.Range(0, 0xa0).Select(c => (char)c).Where(c => c != '\t' && char.IsControl(c)).ToArray());

    private IniDocument(string file, IReadOnlyList<IniSection> sections)
    {
        File = file;
        Sections = sections;
    }

    public string File { get; }

    public IReadOnlyList<IniSection> Sections { get; }

    /// <summary>Reads and splits a file; a file over <see cref="MaxBytes"/> is an error. I/O errors pass through.</summary>
    /// <exception cref="IniFormatException">The file is too big or is not INI.</exception>
    public static IniDocument Load(string path)
    {
        CheckSize(path);
        return Parse(System.IO.File.ReadAllText(path), path);
    }

    /// <inheritdoc cref="Load"/>
    public static async Task<IniDocument> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        CheckSize(path);
        return Parse(await System.IO.File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), path);
    }

    /// <param name="file">Named in every error and entry.</param>
    /// <exception cref="IniFormatException">The text is not INI.</exception>
    public static IniDocument Parse(string text, string file)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(file);
        var sections = new List<IniSection>();
        var sectionLines = new Dictionary<string, int>(StringComparer.Ordinal);
        string? name = null;
        int nameLine = 0;
        var entries = new List<IniEntry>();
        var keyLines = new Dictionary<string, int>(StringComparer.Ordinal);

        void Close()
        {
            if (name is not null)
            {
                sections.Add(new IniSection(name, file, nameLine, entries));
            }
        }

        string[] lines = (text.StartsWith('\uFEFF') ? text[1..] : text).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            string line = lines[i].TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#' || line[0] == ';')
            {
                continue;
            }

            int control = line.AsSpan().IndexOfAny(Controls);
            if (control >= 0)
            {
                throw new IniFormatException(file, lineNo, null,
                    $"control character {IniExcerpt.Of(line[control].ToString())} in line '{IniExcerpt.Of(line)}'");
            }

            if (line[0] == '[')
            {
                Close();
                name = SectionName(line, file, lineNo);
                if (sectionLines.TryGetValue(name, out int first))
                {
                    throw new IniFormatException(file, lineNo, null, $"section [{name}] appears twice (first on line {first})");
                }

                sectionLines.Add(name, lineNo);
                nameLine = lineNo;
                entries = [];
                keyLines = new Dictionary<string, int>(StringComparer.Ordinal);
                continue;
            }

            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                throw new IniFormatException(file, lineNo, null, $"expected 'key = value', found '{IniExcerpt.Of(line)}'");
            }

            if (eq == 0)
            {
                throw new IniFormatException(file, lineNo, null, "a line starts with '=' and has no key");
            }

            string key = line[..eq].Trim();
            if (key.Length > MaxKeyLength || !key.All(IsKeyChar))
            {
                throw new IniFormatException(file, lineNo, null,
                    $"malformed key '{IniExcerpt.Of(key)}' (a key is letters, digits, '-', '_' and '.')");
            }

            if (name is null)
            {
                throw new IniFormatException(file, lineNo, key, "is outside any [section]");
            }

            if (keyLines.TryGetValue(key, out int firstKey))
            {
                throw new IniFormatException(file, lineNo, key, $"is given twice in [{name}] (first on line {firstKey})");
            }

            keyLines.Add(key, lineNo);
            entries.Add(new IniEntry(key, line[(eq + 1)..].Trim(), file, lineNo));
        }

        Close();
        return new IniDocument(file, sections);
    }

    private static string SectionName(string line, string file, int lineNo)
    {
        if (line[^1] != ']')
        {
            throw new IniFormatException(file, lineNo, null, $"section header '{IniExcerpt.Of(line)}' lacks its closing ']'");
        }

        string name = line[1..^1].Trim();
        if (name.Length == 0 || name.Length > MaxSectionNameLength || !name.All(IsSectionChar))
        {
            throw new IniFormatException(file, lineNo, null,
                $"malformed section name '{IniExcerpt.Of(name)}' (a name is letters, digits and . _ - @ :)");
        }

        return name;
    }

    private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';

    private static bool IsSectionChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or ':';

    private static void CheckSize(string path)
    {
        long length = new FileInfo(path).Length;
        if (length > MaxBytes)
        {
            throw new IniFormatException(path, 0, null,
                $"{length} bytes is larger than the {MaxBytes} bytes a configuration file may have");
        }
    }
}
