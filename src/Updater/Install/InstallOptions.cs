namespace Updater.Install;

public sealed record InstallOptions
{
    /// <summary>Install an older version than the booted one (the operator's explicit, documented override).</summary>
    public bool AllowDowngrade { get; init; }

    /// <summary>Read the whole slot back after writing and compare the image's SHA-256.</summary>
    public bool VerifyReadBack { get; init; }

    /// <summary>
    /// Check each image's whole payload against the manifest before the first write, so a corrupt bundle
    /// leaves the slot's old content intact. Null: do it for local files, where a second read is cheap; a
    /// network install streams and relies on the per-chunk check alone (the target is marked bad first).
    /// </summary>
    public bool? PrecheckPayload { get; init; }

    /// <summary>Booted-slot override (tests, a rescue system); null uses update.conf's booted-slot.</summary>
    public string? BootedSlot { get; init; }
}

/// <summary>What an install did, for the CLI's report and --json.</summary>
public sealed record InstallResult
{
    public required string Version { get; init; }
    public required string BootedSlot { get; init; }
    public required string TargetBootname { get; init; }
    public required IReadOnlyList<string> Slots { get; init; }
    public required long ImageBytes { get; init; }
    public required long WrittenBytes { get; init; }
    public required bool Resumed { get; init; }
    public required bool VerifiedReadBack { get; init; }
    public required string SignedBy { get; init; }
    public required double ElapsedSeconds { get; init; }
}
