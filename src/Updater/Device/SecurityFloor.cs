// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;

namespace Updater.Device;

/// <summary>One place an anti-rollback floor was read from, and what it says.</summary>
/// <param name="Source">Where: "bootloader environment (updater_security_floor)", a file, a slot's record.</param>
internal sealed record FloorSource(string Source, long Value);

/// <summary>
/// The effective anti-rollback floor: the largest security version any of these vouches for (docs/anti-rollback.md):
/// <list type="bullet">
/// <item>the bootloader environment's <see cref="SecurityFloorVariable"/>, written with every commit;</item>
/// <item>the state directory's security-floor file, written right after it;</item>
/// <item>every slot record of a side the bootloader holds committed (good, not on a trial), both sides;</item>
/// <item>the running image's image-info security-version.</item>
/// </list>
/// A source that is present but unreadable is a <see cref="Problems"/> entry, and no source at all is one too:
/// either refuses an install (<see cref="Require"/>), never passes it as floor 0.
/// </summary>
internal sealed class SecurityFloor
{
    public const string Docs = "docs/anti-rollback.md";

    public SecurityFloor(IReadOnlyList<FloorSource> sources, IReadOnlyList<string> problems, string imageInfoPath)
    {
        Sources = sources;
        Problems = problems;
        ImageInfoPath = imageInfoPath;
    }

    /// <summary>Every readable source, in the order above.</summary>
    public IReadOnlyList<FloorSource> Sources { get; }

    /// <summary>Sources that exist but cannot be read: each a refusal.</summary>
    public IReadOnlyList<string> Problems { get; }

    private string ImageInfoPath { get; }

    /// <summary>The largest readable floor; null when no source is readable.</summary>
    public long? Value => Sources.Count > 0 ? Sources.Max(s => s.Value) : null;

    /// <summary>The source of <see cref="Value"/> (the first, when several agree).</summary>
    public FloorSource? Highest => Sources.Count > 0 ? Sources.First(s => s.Value == Value) : null;

    /// <summary>What keeps the floor from being known, null when it is: an unreadable source, or none at all.</summary>
    public string? Problem =>
        Problems.Count > 0 ? string.Join("; ", Problems)
        : Sources.Count == 0 ? NoFloor(ImageInfoPath)
        : null;

    /// <summary>The refusal when nothing vouches for a floor, with the remedy.</summary>
    public static string NoFloor(string imageInfoPath) =>
        $"no anti-rollback floor on this device (no {SecurityFloorVariable.Name} in the bootloader environment, no security-floor or committed slot record in the state directory, no {imageInfoPath}): " +
        $"the image must ship {imageInfoPath} with [image] security-version, or pass --initial-floor N to install once on a device being provisioned ({Docs})";

    /// <summary>The floor an install must meet, with where it came from; a refusal when it cannot be known.</summary>
    /// <param name="initial">--initial-floor: the operator's floor for a device being provisioned, one more source.</param>
    public FloorSource Require(long? initial)
    {
        if (Problems.Count > 0)
        {
            throw new UpdaterException(ExitCode.Refused, $"anti-rollback floor unreadable: {Problem}: refusing to install");
        }
        var sources = initial is { } n ? [.. Sources, new FloorSource("--initial-floor", n)] : Sources;
        if (sources.Count == 0)
        {
            throw new UpdaterException(ExitCode.Refused, NoFloor(ImageInfoPath));
        }
        long max = sources.Max(s => s.Value);
        return sources.First(s => s.Value == max);
    }
}
