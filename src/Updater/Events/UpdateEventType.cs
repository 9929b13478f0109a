// SPDX-License-Identifier: Apache-2.0
namespace Updater.Events;

/// <summary>
/// One kind of event the updater writes to the journal: its fixed MESSAGE_ID (journalctl MESSAGE_ID=..., and the
/// catalog entry dist/updater.catalog keeps for it), the word in UPDATER_EVENT=, and its syslog priority.
/// </summary>
internal sealed record UpdateEventType(string Name, string MessageId, int Priority);

/// <summary>Every event type: one definition of each MESSAGE_ID (dist/updater.catalog must hold the same).</summary>
internal static class UpdateEventTypes
{
    // Priorities as syslog(3): 3 err, 4 warning, 5 notice, 6 info.
    public static readonly UpdateEventType InstallStarted = new("install-started", "067d20c606a24cf9a0052730309f97e1", 6);
    public static readonly UpdateEventType InstallSucceeded = new("install-succeeded", "f520f8a439054e7da57783edd35f0386", 5);
    public static readonly UpdateEventType InstallFailed = new("install-failed", "ba937dcf7eba47a6bbc84684325a8c55", 3);
    public static readonly UpdateEventType SlotMarkedGood = new("slot-marked-good", "c90e5b307f9a4eab8756340ea819283f", 5);
    public static readonly UpdateEventType SlotMarkedBad = new("slot-marked-bad", "3bbd04ce5b824936858a442e709bbcda", 4);
    public static readonly UpdateEventType Rollback = new("rollback", "852d6fc6bb0c42cd96f7867a942b63f8", 4);
    public static readonly UpdateEventType HealthFailed = new("health-failed", "948e0d399b92493fa75d04714b81a271", 3);
    public static readonly UpdateEventType HealthPassed = new("health-passed", "16566aa86c224e289185c244014c1fba", 6);

    public static readonly IReadOnlyList<UpdateEventType> All =
        [InstallStarted, InstallSucceeded, InstallFailed, SlotMarkedGood, SlotMarkedBad, Rollback, HealthFailed, HealthPassed];
}
