namespace HealthCheck.Parsing;

/// <summary>
/// A health check definition that cannot be used. The message names the file, the line and, where one is to
/// blame, the key, so that the operator can go straight to it: <c>/etc/updater/health.d/10-net.conf:12: key
/// 'timeout': ...</c>.
/// </summary>
public sealed class HealthCheckConfigException : Exception
{
    public HealthCheckConfigException(string file, int line, string? key, string problem)
        : base(Format(file, line, key, problem))
    {
        File = file;
        Line = line;
        Key = key;
        Problem = problem;
    }

    /// <summary>The file (or the name the text was given) that holds the bad definition.</summary>
    public string File { get; }

    /// <summary>The 1-based line of the bad key or section.</summary>
    public int Line { get; }

    /// <summary>The key the problem is about, or null when it is about a section or the line as a whole.</summary>
    public string? Key { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }

    private static string Format(string file, int line, string? key, string problem) =>
        key is null ? $"{file}:{line}: {problem}" : $"{file}:{line}: key '{key}': {problem}";
}
