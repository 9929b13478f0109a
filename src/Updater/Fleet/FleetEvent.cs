// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Fleet;

/// <summary>What happened, for the fleet's status endpoint.</summary>
internal enum FleetEvent
{
    [JsonStringEnumMemberName("status")] Status,
    [JsonStringEnumMemberName("install-started")] InstallStarted,
    [JsonStringEnumMemberName("install-finished")] InstallFinished,
    [JsonStringEnumMemberName("install-failed")] InstallFailed,
    [JsonStringEnumMemberName("install-cancelled")] InstallCancelled,
    [JsonStringEnumMemberName("health-passed")] HealthPassed,
    [JsonStringEnumMemberName("health-failed")] HealthFailed,
    [JsonStringEnumMemberName("rollback")] Rollback,
}
