using HealthCheck.Definitions;

namespace HealthCheck.Parsing;

/// <summary>
/// Reads health check drop-ins: INI text with one <c>[check.NAME]</c> section per check.
/// <code>
/// # /etc/updater/health.d/10-network.conf
/// [check.network]
/// type = systemd-unit
/// unit = systemd-networkd.service
/// timeout = 30s
/// retries = 3
/// retry-delay = 2s
/// </code>
/// Keys: <c>type</c> (systemd-unit, command, http, mount), the target key for that type (<c>unit</c>,
/// <c>command</c>, <c>url</c>, <c>path</c>), <c>required</c> (yes/no), <c>timeout</c>, <c>retries</c>,
/// <c>retry-delay</c>, and for http <c>status</c> (<c>200</c> or <c>200-399</c>). Lines starting with <c>#</c> or
/// <c>;</c> are comments; a value runs to the end of its line (a URL may hold a <c>#</c>). Unknown sections and
/// keys, repeated keys and repeated check names are errors, each naming file, line and key.
/// </summary>
public static class HealthCheckParser
{
    /// <summary>The section name prefix that marks a health check.</summary>
    public const string SectionPrefix = "check.";

    /// <summary>
    /// Parses one drop-in's text. <paramref name="fileName"/> is only used in <see cref="HealthCheckDefinition.Source"/>
    /// and in errors; <paramref name="firstLineNumber"/> lets a caller that cut the text out of a larger file (the
    /// <c>[check.*]</c> sections of update.conf) keep that file's line numbers.
    /// </summary>
    /// <exception cref="HealthCheckConfigException">The text holds a definition that cannot be used.</exception>
    public static IReadOnlyList<HealthCheckDefinition> Parse(string text, string fileName, int firstLineNumber = 1)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);

        var checks = new List<HealthCheckDefinition>();
        ParseInto(text, fileName, firstLineNumber, checks, new Dictionary<string, string>(StringComparer.Ordinal));
        return checks;
    }

    // Adds the checks of one text to those read so far; names maps each check name seen to where it was defined.
    private static void ParseInto(
        string text, string fileName, int firstLineNumber, List<HealthCheckDefinition> checks, Dictionary<string, string> names)
    {
        CheckSectionBuilder? section = null;
        var lineNumber = firstLineNumber - 1;

        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (line.IsEmpty || line[0] == '#' || line[0] == ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                if (section is not null)
                {
                    Add(section);
                }

                section = StartSection(line, fileName, lineNumber);
                continue;
            }

            var equals = line.IndexOf('=');
            if (equals < 0)
            {
                throw new HealthCheckConfigException(fileName, lineNumber, null, $"expected 'key = value', found '{line}'");
            }

            var key = line[..equals].Trim().ToString();
            var value = line[(equals + 1)..].Trim().ToString();
            if (key.Length == 0)
            {
                throw new HealthCheckConfigException(fileName, lineNumber, null, "a line starts with '=' and has no key");
            }

            if (section is null)
            {
                throw new HealthCheckConfigException(fileName, lineNumber, key, "is outside any [check.NAME] section");
            }

            section.Set(key, value, lineNumber);
        }

        if (section is not null)
        {
            Add(section);
        }

        void Add(CheckSectionBuilder finished)
        {
            var check = finished.Build();
            if (names.TryGetValue(check.Name, out var first))
            {
                throw new HealthCheckConfigException(
                    finished.File, finished.Line, null, $"check '{check.Name}' is already defined at {first}");
            }

            names.Add(check.Name, check.Source);
            checks.Add(check);
        }
    }

    /// <summary>
    /// Loads every <c>*.conf</c> file of a drop-in directory in lexical (ordinal) order of the file names, as
    /// systemd and greenboot do. A directory that does not exist holds no checks. A check name used in two files
    /// is an error naming both places.
    /// </summary>
    /// <exception cref="HealthCheckConfigException">A drop-in holds a definition that cannot be used.</exception>
    public static async Task<IReadOnlyList<HealthCheckDefinition>> LoadDirectoryAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var files = Directory.GetFiles(directory, "*.conf", SearchOption.TopDirectoryOnly);
        Array.Sort(files, StringComparer.Ordinal);

        var checks = new List<HealthCheckDefinition>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var text = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            ParseInto(text, file, 1, checks, names);
        }

        return checks;
    }

    private static CheckSectionBuilder StartSection(ReadOnlySpan<char> line, string fileName, int lineNumber)
    {
        if (line[^1] != ']')
        {
            throw new HealthCheckConfigException(fileName, lineNumber, null, $"section header '{line}' lacks its closing ']'");
        }

        var sectionName = line[1..^1].Trim().ToString();
        if (!sectionName.StartsWith(SectionPrefix, StringComparison.Ordinal))
        {
            throw new HealthCheckConfigException(fileName, lineNumber, null,
                $"unknown section [{sectionName}]; health checks are sections named [check.NAME]");
        }

        var name = sectionName[SectionPrefix.Length..];
        if (name.Length == 0 || !name.All(IsNameChar))
        {
            throw new HealthCheckConfigException(fileName, lineNumber, null,
                $"check name '{name}' must be non-empty and use only letters, digits and . _ - @ :");
        }

        return new CheckSectionBuilder(name, fileName, lineNumber);
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or ':';
}
