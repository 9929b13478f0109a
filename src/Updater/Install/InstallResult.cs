// SPDX-License-Identifier: Apache-2.0
namespace Updater.Install;

/// <summary>What an install did, for the CLI's report and --json.</summary>
internal sealed record InstallResult
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
