// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Device;

/// <summary>The operator's actions on the bootloader, as `--json` names them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SlotAction>))]
internal enum SlotAction
{
    [JsonStringEnumMemberName("rollback")] Rollback,
    [JsonStringEnumMemberName("mark-good")] MarkGood,
    [JsonStringEnumMemberName("mark-bad")] MarkBad,
}
