// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.Efi;

/// <summary>The firmware's variables as read; <see cref="BootOrder"/> is empty when the variable is not set.</summary>
internal sealed record EfiSnapshot(
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlyList<ushort> BootOrder,
    ushort? BootNext,
    string? TrialMarker,
    bool TrialMarkerPresent,
    IReadOnlyDictionary<string, EfiLoadOption> Entries) : EnvironmentSnapshot(Variables);
