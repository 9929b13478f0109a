// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Parsing;

/// <summary>
/// Text that is not INI as <see cref="IniDocument"/> reads it, or (as <see cref="HealthCheckConfigException"/>) a
/// section that means nothing to its reader. File, line and key are kept apart, so that a caller can put them
/// into its own error type unchanged.
/// </summary>
public class IniFormatException : Exception
{
    public IniFormatException(string file, int line, string? key, string problem)
        : base(Format(file, line, key, problem))
    {
        File = file;
        Line = line;
        Key = key;
        Problem = problem;
    }

    /// <summary>The file (or the name the text was given) that holds the bad line.</summary>
    public string File { get; }

    /// <summary>The 1-based line, or 0 when the problem is the file as a whole (its size).</summary>
    public int Line { get; }

    /// <summary>The key the problem is about, or null when it is about a section or the line as a whole.</summary>
    public string? Key { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }

    private static string Format(string file, int line, string? key, string problem)
    {
        var where = line > 0 ? $"{file}:{line}" : file;
        return key is null ? $"{where}: {problem}" : $"{where}: key '{key}': {problem}";
    }
}
