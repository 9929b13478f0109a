// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using HealthCheck.Definitions;

namespace HealthCheck.Parsing;

/// <summary>
/// Collects the keys of one <c>[check.NAME]</c> section and turns them into a <see cref="HealthCheckDefinition"/>,
/// checking each value where it was written so that errors point at the right line.
/// </summary>
internal sealed class CheckSectionBuilder(string name, string file, int line)
{
    private const int MaxRetries = 100;

    // The shortest deadline the runner's timeout strategy (Polly) accepts.
    private static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(10);

    // The target key each type takes; a target key of another type in the same section is an error.
    private static readonly Dictionary<string, HealthCheckKind> TargetKeys = new(StringComparer.Ordinal)
    {
        ["unit"] = HealthCheckKind.SystemdUnit,
        ["command"] = HealthCheckKind.Command,
        ["url"] = HealthCheckKind.Http,
        ["path"] = HealthCheckKind.Mount,
    };

    private readonly Dictionary<string, int> _keyLines = new(StringComparer.Ordinal);
    private HealthCheckKind? _kind;
    private (string Key, string Value, int Line)? _target;
    private bool _required = true;
    private TimeSpan _timeout = HealthCheckDefinition.DefaultTimeout;
    private int _retries;
    private TimeSpan _retryDelay = HealthCheckDefinition.DefaultRetryDelay;
    private HttpStatusRange? _status;

    /// <summary>The file the section is in.</summary>
    public string File { get; } = file;

    /// <summary>The line of the section header.</summary>
    public int Line { get; } = line;

    public void Set(string key, string value, int lineNumber)
    {
        // IniDocument has refused a key given twice already; the lines are kept for errors that name another key.
        _keyLines.Add(key, lineNumber);
        switch (key)
        {
            case "type":
                _kind = ParseKind(value, lineNumber);
                break;
            case "unit" or "command" or "url" or "path":
                if (_target is { } other)
                {
                    throw Error(lineNumber, key, $"a check has one target, and '{other.Key}' is already set on line {other.Line}");
                }

                if (value.Length == 0)
                {
                    throw Error(lineNumber, key, "is empty");
                }

                _target = (key, value, lineNumber);
                break;
            case "required":
                _required = ParseBool(value, lineNumber, key);
                break;
            case "timeout":
                _timeout = ParseDuration(value, lineNumber, key);
                if (_timeout < MinTimeout)
                {
                    throw Error(lineNumber, key, "must be at least 10ms");
                }

                break;
            case "retries":
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _retries) || _retries > MaxRetries)
                {
                    throw Error(lineNumber, key, $"'{Shown(value)}' is not a whole number from 0 to {MaxRetries}");
                }

                break;
            case "retry-delay":
                _retryDelay = ParseDuration(value, lineNumber, key);
                break;
            case "status":
                _status = ParseStatus(value, lineNumber, key);
                break;
            default:
                throw Error(lineNumber, key,
                    "unknown key (known: type, unit, command, url, path, required, timeout, retries, retry-delay, status)");
        }
    }

    public HealthCheckDefinition Build()
    {
        if (_kind is not { } kind)
        {
            throw Error(Line, null, $"check '{name}' has no 'type' (systemd-unit, command, http or mount)");
        }

        var targetKey = TargetKeys.First(pair => pair.Value == kind).Key;
        if (_target is not { } target)
        {
            throw Error(Line, null, $"check '{name}' of type {TypeWord(kind)} needs '{targetKey} ='");
        }

        if (target.Key != targetKey)
        {
            throw Error(target.Line, target.Key, $"does not apply to type {TypeWord(kind)}; use '{targetKey} ='");
        }

        if (_status is not null && kind != HealthCheckKind.Http)
        {
            throw Error(_keyLines["status"], "status", $"applies to type http only, not {TypeWord(kind)}");
        }

        var value = kind switch
        {
            HealthCheckKind.SystemdUnit => ValidateUnit(target.Value, target.Line, target.Key),
            HealthCheckKind.Http => ValidateUrl(target.Value, target.Line, target.Key),
            HealthCheckKind.Mount => ValidatePath(target.Value, target.Line, target.Key),
            _ => target.Value,
        };

        return new HealthCheckDefinition(name, kind, value, $"{File}:{Line}")
        {
            Required = _required,
            Timeout = _timeout,
            Retries = _retries,
            RetryDelay = _retryDelay,
            ExpectedStatus = _status ?? HttpStatusRange.Success,
        };
    }

    private static string TypeWord(HealthCheckKind kind) => HealthCheckKindWords.Word(kind);

    private HealthCheckKind ParseKind(string value, int lineNumber) =>
        HealthCheckKindWords.TryParse(value, out var kind)
            ? kind
            : throw Error(lineNumber, "type", $"'{Shown(value)}' is not one of {string.Join(", ", HealthCheckKindWords.All)}");

    private bool ParseBool(string value, int lineNumber, string key) =>
        IniBoolean.TryParse(value, out var parsed)
            ? parsed
            : throw Error(lineNumber, key, $"'{Shown(value)}' is not {IniBoolean.Expected}");

    private TimeSpan ParseDuration(string value, int lineNumber, string key) =>
        DurationParser.TryParse(value, out var duration)
            ? duration
            : throw Error(lineNumber, key, $"'{Shown(value)}' is not a duration (such as 500ms, 30s, 2m)");

    private HttpStatusRange ParseStatus(string value, int lineNumber, string key)
    {
        var dash = value.IndexOf('-');
        var minText = dash < 0 ? value : value[..dash].Trim();
        var maxText = dash < 0 ? value : value[(dash + 1)..].Trim();
        if (int.TryParse(minText, NumberStyles.None, CultureInfo.InvariantCulture, out var min) &&
            int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out var max) &&
            min is >= 100 and <= 599 && max is >= 100 and <= 599 && min <= max)
        {
            return new HttpStatusRange(min, max);
        }

        throw Error(lineNumber, key, $"'{Shown(value)}' is not an HTTP status or range of them (such as 204 or 200-399)");
    }

    // systemctl's rule: a name without a unit type suffix means a service.
    private string ValidateUnit(string value, int lineNumber, string key)
    {
        if (value.Any(c => char.IsWhiteSpace(c) || c == '/') || value.Length > 255)
        {
            throw Error(lineNumber, key, $"'{Shown(value)}' is not a unit name");
        }

        return value.Contains('.', StringComparison.Ordinal) ? value : value + ".service";
    }

    private string ValidateUrl(string value, int lineNumber, string key) =>
        HttpUrl.TryParse(value, out _)
            ? value
            : throw Error(lineNumber, key, $"'{Shown(value)}' is not an absolute http:// or https:// URL");

    private string ValidatePath(string value, int lineNumber, string key) =>
        value.StartsWith('/')
            ? value
            : throw Error(lineNumber, key, $"'{Shown(value)}' is not an absolute path");

    // Values reach error messages only as a bounded, escaped excerpt: a drop-in may be hostile or just broken.
    private static string Shown(string value) => IniExcerpt.Of(value);

    private HealthCheckConfigException Error(int lineNumber, string? key, string problem) =>
        new(File, lineNumber, key, problem);
}
