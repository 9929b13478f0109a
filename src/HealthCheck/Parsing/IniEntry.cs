// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Parsing;

/// <summary>One <c>key = value</c> line, with where it came from for error messages.</summary>
public sealed record IniEntry(string Key, string Value, string File, int Line)
{
    /// <summary>"file:line", the prefix of every error about this entry.</summary>
    public string Where => $"{File}:{Line}";
}
