// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Device;

/// <summary>What a slot holds, as `updater status` says it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SlotContent>))]
internal enum SlotContent
{
    /// <summary>The running system.</summary>
    [JsonStringEnumMemberName("booted")] Booted,

    /// <summary>An unfinished install: a partial image.</summary>
    [JsonStringEnumMemberName("installing")] Installing,

    /// <summary>A completed, verified install.</summary>
    [JsonStringEnumMemberName("installed")] Installed,

    /// <summary>Not written by the updater: a factory image, or nothing; the bootloader's good/bad tells.</summary>
    [JsonStringEnumMemberName("unrecorded")] Unrecorded,
}
