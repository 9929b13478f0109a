// SPDX-License-Identifier: Apache-2.0
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
/// <c>command</c>, <c>url</c>, <c>path</c>), <c>required</c> (<see cref="IniBoolean"/>), <c>timeout</c>, <c>retries</c>,
/// <c>retry-delay</c>, and for http <c>status</c> (<c>200</c> or <c>200-399</c>). The syntax (comments, booleans,
/// repeated keys and sections) is <see cref="IniDocument"/>'s. Unknown sections and
/// keys and repeated check names are errors too, each naming file, line and key.
/// </summary>
public static class HealthCheckParser
{
    /// <summary>The section name prefix that marks a health check.</summary>
    public const string SectionPrefix = "check.";

    /// <summary>
    /// Parses one drop-in's text. <paramref name="fileName"/> is only used in <see cref="HealthCheckDefinition.Source"/>
    /// and in errors.
    /// </summary>
    /// <exception cref="HealthCheckConfigException">The text holds a definition that cannot be used.</exception>
    public static IReadOnlyList<HealthCheckDefinition> Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);

        IniDocument document;
        try
        {
            document = IniDocument.Parse(text, fileName);
        }
        catch (IniFormatException e)
        {
            throw Converted(e);
        }

        var checks = new List<HealthCheckDefinition>();
        AddChecks(document, checks, new Dictionary<string, string>(StringComparer.Ordinal));
        return checks;
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
            IniDocument document;
            try
            {
                document = await IniDocument.LoadAsync(file, cancellationToken).ConfigureAwait(false);
            }
            catch (IniFormatException e)
            {
                throw Converted(e);
            }

            AddChecks(document, checks, names);
        }

        return checks;
    }

    // Adds the checks of one drop-in to those read so far; names maps each check name seen to where it was defined.
    private static void AddChecks(IniDocument document, List<HealthCheckDefinition> checks, Dictionary<string, string> names)
    {
        foreach (var section in document.Sections)
        {
            if (!section.Name.StartsWith(SectionPrefix, StringComparison.Ordinal))
            {
                throw new HealthCheckConfigException(section.File, section.Line, null,
                    $"unknown section [{section.Name}]; health checks are sections named [check.NAME]");
            }

            var name = section.Name[SectionPrefix.Length..];
            if (name.Length == 0)
            {
                throw new HealthCheckConfigException(section.File, section.Line, null, "check name '' must be non-empty");
            }

            var builder = new CheckSectionBuilder(name, section.File, section.Line);
            foreach (var entry in section.Entries)
            {
                builder.Set(entry.Key, entry.Value, entry.Line);
            }

            var check = builder.Build();
            if (names.TryGetValue(check.Name, out var first))
            {
                throw new HealthCheckConfigException(section.File, section.Line, null, $"check '{check.Name}' is already defined at {first}");
            }

            names.Add(check.Name, check.Source);
            checks.Add(check);
        }
    }

    // The lexer's errors in this parser's exception type, so that callers catch one type for every drop-in error.
    private static HealthCheckConfigException Converted(IniFormatException e) => new(e.File, e.Line, e.Key, e.Problem);
}
