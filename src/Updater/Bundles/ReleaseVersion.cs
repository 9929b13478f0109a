// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace Updater.Bundles;

/// <summary>
/// A release version: 1 to 4 dot-separated numbers, optionally a "-prerelease" part (semantic-versioning
/// order: 2.0.0-rc1 &lt; 2.0.0) and "+build" metadata, which is ignored when comparing. Used to refuse
/// downgrades, so anything it cannot order is rejected rather than guessed.
/// </summary>
internal sealed class ReleaseVersion : IComparable<ReleaseVersion>
{
    private readonly long[] _numbers;
    private readonly string[] _prerelease;

    private ReleaseVersion(string text, long[] numbers, string[] prerelease)
    {
        Text = text;
        _numbers = numbers;
        _prerelease = prerelease;
    }

    public string Text { get; }

    public static bool TryParse(string? text, out ReleaseVersion version)
    {
        version = null!;
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }
        string core = text;
        int plus = core.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            if (!IsIdentifiers(core[(plus + 1)..]))
            {
                return false;
            }
            core = core[..plus];
        }
        string[] pre = [];
        int dash = core.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            string preText = core[(dash + 1)..];
            if (!IsIdentifiers(preText))
            {
                return false;
            }
            pre = preText.Split('.');
            core = core[..dash];
        }
        string[] parts = core.Split('.');
        if (parts.Length is < 1 or > 4)
        {
            return false;
        }
        var numbers = new long[4];
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length is 0 or > 9 || !long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return false;
            }
        }
        version = new ReleaseVersion(text, numbers, pre);
        return true;
    }

    public static ReleaseVersion Parse(string text, string what) =>
        TryParse(text, out var v) ? v : throw new BundleFormatException($"{what}: version '{text}' is not a version (expected e.g. 2.1.0 or 2.1.0-rc1)");

    public int CompareTo(ReleaseVersion? other)
    {
        if (other is null)
        {
            return 1;
        }
        for (int i = 0; i < 4; i++)
        {
            int c = _numbers[i].CompareTo(other._numbers[i]);
            if (c != 0)
            {
                return c;
            }
        }
        if (_prerelease.Length == 0 || other._prerelease.Length == 0)
        {
            // A release sorts after its prereleases: 2.0.0 > 2.0.0-rc1.
            return Math.Sign(other._prerelease.Length.CompareTo(_prerelease.Length));
        }
        for (int i = 0; i < Math.Min(_prerelease.Length, other._prerelease.Length); i++)
        {
            string a = _prerelease[i], b = other._prerelease[i];
            bool an = long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out long na);
            bool bn = long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out long nb);
            int c = (an, bn) switch
            {
                (true, true) => na.CompareTo(nb),
                (true, false) => -1,
                (false, true) => 1,
                _ => string.CompareOrdinal(a, b),
            };
            if (c != 0)
            {
                return Math.Sign(c);
            }
        }
        return _prerelease.Length.CompareTo(other._prerelease.Length);
    }

    public override string ToString() => Text;

    private static bool IsIdentifiers(string s) =>
        s.Length > 0 && s.Split('.').All(p => p.Length > 0 && p.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
}
