// SPDX-License-Identifier: Apache-2.0
using System.Text.RegularExpressions;

namespace Updater.Tests.Licensing;

/// <summary>
/// The licence stays true as the tree grows: every source file says it is Apache-2.0, and every package a
/// shipped project references (and so the binary links) is listed, with its licence, in THIRD-PARTY-NOTICES.md.
/// </summary>
public sealed partial class LicensingTests
{
    private static IEnumerable<string> SourceFiles() =>
        new[] { "src", "tests" }.SelectMany(top => Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, top), "*.*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".sh", StringComparison.Ordinal) || f.EndsWith(".py", StringComparison.Ordinal))
            .Where(f => !Path.GetRelativePath(RepositoryPaths.Root, f).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "work"));

    [Fact]
    public void Every_source_file_carries_the_SPDX_licence_line()
    {
        var missing = SourceFiles()
            .Where(f => !File.ReadLines(f).Take(3).Any(l => l.Contains("SPDX-License-Identifier: Apache-2.0", StringComparison.Ordinal)))
            .Select(f => Path.GetRelativePath(RepositoryPaths.Root, f))
            .ToList();
        Assert.True(SourceFiles().Count() > 300, "the scan found too few files to mean anything");
        Assert.Empty(missing);
    }

    [Fact]
    public void Every_package_the_shipped_projects_reference_is_in_the_third_party_notices()
    {
        string notices = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "THIRD-PARTY-NOTICES.md"));
        var versions = PackageVersion().Matches(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "Directory.Packages.props")))
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
        var referenced = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .SelectMany(p => PackageReference().Matches(File.ReadAllText(p)).Select(m => m.Groups[1].Value))
            .Distinct(StringComparer.Ordinal)
            .ToList();

        Assert.Contains("NSec.Cryptography", referenced);
        foreach (string package in referenced)
        {
            Assert.True(notices.Contains($"| {package} | {versions[package]} |", StringComparison.Ordinal) ||
                        notices.Contains($"| {package} ", StringComparison.Ordinal) && notices.Contains($"| {versions[package]} |", StringComparison.Ordinal),
                $"THIRD-PARTY-NOTICES.md does not list {package} {versions[package]}");
        }
        Assert.StartsWith("Apache License", File.ReadAllText(Path.Combine(RepositoryPaths.Root, "LICENSE")).TrimStart(), StringComparison.Ordinal);
    }

    [GeneratedRegex("<PackageVersion Include=\"([^\"]+)\" Version=\"([^\"]+)\"")]
    private static partial Regex PackageVersion();

    [GeneratedRegex("<PackageReference Include=\"([^\"]+)\"")]
    private static partial Regex PackageReference();
}
