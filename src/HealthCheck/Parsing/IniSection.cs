// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Parsing;

/// <summary>One <c>[name]</c> section and its entries in file order.</summary>
public sealed record IniSection(string Name, string File, int Line, IReadOnlyList<IniEntry> Entries)
{
    /// <summary>"file:line" of the section header.</summary>
    public string Where => $"{File}:{Line}";
}
