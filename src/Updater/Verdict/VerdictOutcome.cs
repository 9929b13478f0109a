// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Running;
using Updater.State;

namespace Updater.Verdict;

/// <summary>`updater health --json`: the verdict on the booted slot, what was done about it, and every check's result.</summary>
internal sealed record VerdictOutcome
{
    public required string BootedSlot { get; init; }

    /// <summary>The release the booted slot holds, from the state directory; null for a slot the updater did not install.</summary>
    public string? Version { get; init; }

    /// <summary>True on the first boot(s) of a freshly installed slot, before its verdict.</summary>
    public required bool Trial { get; init; }

    public required HealthVerdict Verdict { get; init; }

    public required VerdictAction Action { get; init; }

    /// <summary>What the action means for this device, in words.</summary>
    public required string Explanation { get; init; }

    /// <summary>True when the reboot command runs next (a failed verdict that marked the slot bad, without --no-reboot).</summary>
    public required bool Reboot { get; init; }

    /// <summary>A rollback found and recorded by this run (an earlier boot of the other slot was abandoned).</summary>
    public RollbackRecord? RollbackRecorded { get; init; }

    public required HealthReport Report { get; init; }
}
