// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using HealthCheck.Parsing;

namespace Updater.Config;

/// <summary>
/// Typed access to one section's keys. Every key a section may have is read through here; keys nobody read
/// are reported by <see cref="RejectUnknown"/>, so a typo is an error instead of a silently ignored setting.
/// </summary>
internal sealed class SectionReader
{
    private readonly IniSection _section;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public SectionReader(IniSection section)
    {
        _section = section;
    }

    public string Where => $"{_section.File}:{_section.Line}";

    public IniEntry? Entry(string key)
    {
        _read.Add(key);
        return _section.Entries.FirstOrDefault(e => e.Key == key);
    }

    public string Required(string key)
    {
        var entry = Entry(key) ?? throw new ConfigException($"{Where}: [{_section.Name}] needs key '{key}'");
        if (entry.Value.Length == 0)
        {
            throw new ConfigException($"{entry.Where}: key '{key}' is empty");
        }
        return entry.Value;
    }

    public string Optional(string key, string fallback)
    {
        var entry = Entry(key);
        return entry is null || entry.Value.Length == 0 ? fallback : entry.Value;
    }

    public string? Optional(string key) => Entry(key) is { Value.Length: > 0 } e ? e.Value : null;

    public string OneOf(string key, string fallback, params string[] allowed)
    {
        var entry = Entry(key);
        if (entry is null)
        {
            return fallback;
        }
        if (!allowed.Contains(entry.Value, StringComparer.Ordinal))
        {
            throw new ConfigException($"{entry.Where}: key '{key}' is '{Shown(entry)}', expected one of: {string.Join(", ", allowed)}");
        }
        return entry.Value;
    }

    public bool Bool(string key, bool fallback)
    {
        var entry = Entry(key);
        if (entry is null)
        {
            return fallback;
        }
        return IniBoolean.TryParse(entry.Value, out bool value)
            ? value
            : throw new ConfigException($"{entry.Where}: key '{key}' is '{Shown(entry)}', expected {IniBoolean.Expected}");
    }

    public long Integer(string key, long fallback, long min, long max)
    {
        var entry = Entry(key);
        if (entry is null)
        {
            return fallback;
        }
        if (!long.TryParse(entry.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
        {
            throw new ConfigException($"{entry.Where}: key '{key}' is '{Shown(entry)}', expected a whole number from {min} to {max}");
        }
        return value;
    }

    /// <summary>The keys that start with <paramref name="prefix"/>, for a component that validates its own keys.</summary>
    public IReadOnlyList<IniEntry> WithPrefix(string prefix)
    {
        var matches = _section.Entries.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        foreach (var entry in matches)
        {
            _read.Add(entry.Key);
        }
        return matches;
    }

    /// <summary>A value as error messages may quote it: escaped and bounded, whatever the file holds.</summary>
    public static string Shown(IniEntry entry) => IniExcerpt.Of(entry.Value);

    public void RejectUnknown()
    {
        var unknown = _section.Entries.FirstOrDefault(e => !_read.Contains(e.Key));
        if (unknown is not null)
        {
            throw new ConfigException($"{unknown.Where}: unknown key '{unknown.Key}' in [{_section.Name}]");
        }
    }
}
