// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace TestSupport;

/// <summary>
/// A grubenv file handled only with the real grub-editenv, the way GRUB and dist/grub.cfg see it: created, set as
/// the script would, and listed. Tests judge what our code wrote by what GRUB itself will read.
/// </summary>
public sealed class GrubEnvFile(string path)
{
    public string Path { get; } = path;

    /// <summary>`grub-editenv FILE create`: an empty 1024-byte environment block.</summary>
    public static GrubEnvFile Create(string path)
    {
        ProcessRunner.RunChecked("grub-editenv", path, "create");
        return new GrubEnvFile(path);
    }

    /// <summary>`grub-editenv FILE set NAME=VALUE...`: what dist/grub.cfg does with save_env, e.g. counting a trial boot.</summary>
    public void Set(params string[] assignments) => ProcessRunner.RunChecked("grub-editenv", [Path, "set", .. assignments]);

    /// <summary>
    /// `grub-editenv FILE list` exactly as it prints, one "name=value" line per variable in block order: for
    /// comparisons that must see every byte, such as values holding a newline, which <see cref="List"/> cannot split.
    /// </summary>
    public string Listing() => ProcessRunner.RunChecked("grub-editenv", Path, "list").Stdout;

    /// <summary>`grub-editenv FILE list`, as variables.</summary>
    public IReadOnlyDictionary<string, string> List() =>
        Listing()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(parts => parts[0], parts => parts.Length > 1 ? parts[1] : "", StringComparer.Ordinal);

    /// <summary>One slot's variables as "OK TRY TRIAL": "1 0 0" committed, "1 1 1" on a counted trial, "0 0 0" bad.</summary>
    public string SlotState(string bootname) => SlotState(List(), bootname);

    /// <summary>The one slot-state format of the tests; a missing variable shows as nothing between the spaces.</summary>
    public static string SlotState(IReadOnlyDictionary<string, string> env, string bootname) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{env.GetValueOrDefault(bootname + "_OK")} {env.GetValueOrDefault(bootname + "_TRY")} {env.GetValueOrDefault(bootname + "_TRIAL")}");
}
