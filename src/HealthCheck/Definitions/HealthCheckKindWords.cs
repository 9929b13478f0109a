// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Definitions;

/// <summary>
/// The one spelling of each <see cref="HealthCheckKind"/>: the drop-in format's <c>type =</c> word, which the
/// JSON names of the enum repeat and which stored records and printed results use, so they read like the
/// configuration.
/// </summary>
public static class HealthCheckKindWords
{
    private static readonly (HealthCheckKind Kind, string Word)[] Words =
    [
        (HealthCheckKind.SystemdUnit, "systemd-unit"),
        (HealthCheckKind.Command, "command"),
        (HealthCheckKind.Http, "http"),
        (HealthCheckKind.Mount, "mount"),
    ];

    /// <summary>Every word, in the order the format documents them.</summary>
    public static IReadOnlyList<string> All { get; } = Words.Select(w => w.Word).ToList();

    public static string Word(HealthCheckKind kind) => Words.First(w => w.Kind == kind).Word;

    public static bool TryParse(string word, out HealthCheckKind kind)
    {
        foreach (var (k, w) in Words)
        {
            if (string.Equals(w, word, StringComparison.Ordinal))
            {
                kind = k;
                return true;
            }
        }
        kind = default;
        return false;
    }
}
