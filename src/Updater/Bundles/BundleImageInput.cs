// SPDX-License-Identifier: Apache-2.0
namespace Updater.Bundles;

/// <summary>One `class=path` argument of `updater bundle create`.</summary>
internal sealed record BundleImageInput(string SlotClass, string Path);

/// <summary>What `updater bundle create` is asked to make.</summary>
internal sealed record BundleCreateRequest
{
    public required IReadOnlyList<BundleImageInput> Images { get; init; }
    public required string Compatible { get; init; }
    public required string Version { get; init; }
    public required long SecurityVersion { get; init; }
    public bool AllowDowngrade { get; init; }
    public string? Description { get; init; }

    /// <summary>Slot classes the bundle carries no image for, and the images it accepts there (`--keep`).</summary>
    public IReadOnlyList<KeptSlotClass>? Keep { get; init; }

    /// <summary>The bundle's own install-check and post-install scripts (`--install-check`, `--post-install`).</summary>
    public BundleHooks? Hooks { get; init; }
    public int ChunkSize { get; init; } = BundleWriter.DefaultChunkSize;
    public int CompressionLevel { get; init; } = ChunkCodec.DefaultLevel;
    public bool Compress { get; init; } = true;

    /// <summary>Parallel compression workers; 0 means one per core.</summary>
    public int Workers { get; init; }

    /// <summary>Fixed creation time, for reproducible bundles; now when null.</summary>
    public DateTimeOffset? Created { get; init; }
}
