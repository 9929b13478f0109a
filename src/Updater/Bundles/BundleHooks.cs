// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Bundles;

/// <summary>
/// A bundle's own hooks (docs/hooks.md), signed with the manifest: an install-check that may refuse the bundle
/// before anything is written, and a post-install per image. Carried whole in the manifest, so they are verified
/// with it before any of them runs, and a reader that does not know them refuses the bundle instead of skipping
/// what its vendor required.
/// </summary>
internal sealed record BundleHooks
{
    [JsonPropertyName("install_check")] public BundleHookScript? InstallCheck { get; init; }

    /// <summary>By slot class; each names an image of this bundle.</summary>
    [JsonPropertyName("post_install")] public IReadOnlyDictionary<string, BundleHookScript>? PostInstall { get; init; }
}

/// <summary>One hook of a bundle: a script with a <c>#!</c> line, run by the interpreter it names.</summary>
internal sealed record BundleHookScript
{
    /// <summary>Larger than any shell script a hook needs; a program belongs in an image, not in the manifest.</summary>
    public const int MaxLength = 64 * 1024;

    [JsonPropertyName("script")] public required string Script { get; init; }

    /// <summary>A post-install gets the new image mounted read-only (UPDATER_MOUNT_POINT).</summary>
    [JsonPropertyName("mount")] public bool Mount { get; init; }

    /// <summary>
    /// The interpreter of the <c>#!</c> line and its one optional argument, as the kernel reads them. The script
    /// is run as <c>interpreter [argument] file</c> rather than executed, so a temporary directory mounted
    /// noexec does not stop it.
    /// </summary>
    /// <returns>Null when the script does not start with <c>#!/path</c> on a line of at most 255 characters.</returns>
    public (string Program, string? Argument)? Interpreter()
    {
        int end = Script.IndexOf('\n', StringComparison.Ordinal);
        string line = end < 0 ? Script : Script[..end];
        if (!line.StartsWith("#!", StringComparison.Ordinal) || line.Length > 255)
        {
            return null;
        }
        string[] words = line[2..].Split([' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0 || !words[0].StartsWith('/'))
        {
            return null;
        }
        return (words[0], words.Length > 1 && words[1].Length > 0 ? words[1] : null);
    }
}
