namespace Updater.Config;

/// <summary>One <c>key = value</c> line, with where it came from for error messages.</summary>
internal sealed record IniEntry(string Key, string Value, string File, int Line)
{
    public string Where => $"{File}:{Line}";
}

/// <summary>One <c>[name]</c> section and its entries in file order.</summary>
internal sealed record IniSection(string Name, string File, int Line, IReadOnlyList<IniEntry> Entries);

/// <summary>
/// An INI file as update.conf and health.d drop-ins use it: <c>[section]</c> headers, <c>key = value</c>
/// lines, <c>#</c> and <c>;</c> comment lines. No continuation lines, no inline comments (a value may contain
/// '#', e.g. a URL fragment or a shell command). A key given twice in one section is an error, not a silent
/// override, and so is a section given twice.
/// </summary>
internal sealed class IniDocument
{
    /// <summary>Configuration files are small; anything bigger is not a configuration file.</summary>
    public const int MaxBytes = 1 << 20;

    private IniDocument(string file, IReadOnlyList<IniSection> sections)
    {
        File = file;
        Sections = sections;
    }

    public string File { get; }

    public IReadOnlyList<IniSection> Sections { get; }

    public static IniDocument Load(string path)
    {
        FileInfo info;
        try
        {
            info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new ConfigException($"{path}: no such file");
            }
            if (info.Length > MaxBytes)
            {
                throw new ConfigException($"{path}: {info.Length} bytes is larger than the {MaxBytes} bytes a configuration file may have");
            }
            return Parse(System.IO.File.ReadAllText(path), path);
        }
        catch (IOException e)
        {
            throw new ConfigException($"{path}: cannot read: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ConfigException($"{path}: cannot read: {e.Message}");
        }
    }

    public static IniDocument Parse(string text, string file)
    {
        var sections = new List<IniSection>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? name = null;
        int nameLine = 0;
        var entries = new List<IniEntry>();
        var keys = new HashSet<string>(StringComparer.Ordinal);

        void Close()
        {
            if (name is not null)
            {
                sections.Add(new IniSection(name, file, nameLine, entries));
            }
        }

        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            string line = lines[i].TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#' || line[0] == ';')
            {
                continue;
            }
            if (line.Contains('\0', StringComparison.Ordinal))
            {
                throw new ConfigException($"{file}:{lineNo}: NUL byte in line");
            }
            if (line[0] == '[')
            {
                if (line[^1] != ']' || line.Length < 3)
                {
                    throw new ConfigException($"{file}:{lineNo}: malformed section header '{line}' (expected [name])");
                }
                Close();
                name = line[1..^1].Trim();
                if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || c == '[' || c == ']'))
                {
                    throw new ConfigException($"{file}:{lineNo}: malformed section name '{name}'");
                }
                if (!seen.Add(name))
                {
                    throw new ConfigException($"{file}:{lineNo}: section [{name}] appears twice");
                }
                nameLine = lineNo;
                entries = [];
                keys = new HashSet<string>(StringComparer.Ordinal);
                continue;
            }
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ConfigException($"{file}:{lineNo}: expected 'key = value', found '{line}'");
            }
            if (name is null)
            {
                throw new ConfigException($"{file}:{lineNo}: key '{line[..eq].Trim()}' outside any [section]");
            }
            string key = line[..eq].Trim();
            string value = line[(eq + 1)..].Trim();
            if (key.Any(char.IsWhiteSpace))
            {
                throw new ConfigException($"{file}:{lineNo}: malformed key '{key}'");
            }
            if (!keys.Add(key))
            {
                throw new ConfigException($"{file}:{lineNo}: key '{key}' given twice in [{name}]");
            }
            entries.Add(new IniEntry(key, value, file, lineNo));
        }
        Close();
        return new IniDocument(file, sections);
    }
}
