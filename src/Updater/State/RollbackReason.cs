// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.State;

/// <summary>Why the device came back to its old side; the word is what rollback.json and fleet reports carry.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RollbackReason>))]
internal enum RollbackReason
{
    /// <summary>The new side failed its required health checks, and `updater health` marked it bad.</summary>
    [JsonStringEnumMemberName("health-failed")] HealthFailed,

    /// <summary>The new side never reached a verdict: the bootloader used up its tries.</summary>
    [JsonStringEnumMemberName("no-verdict")] NoVerdict,

    /// <summary>An operator rolled back by hand (`updater rollback`).</summary>
    [JsonStringEnumMemberName("manual")] Manual,
}
