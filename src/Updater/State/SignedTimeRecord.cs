// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.State;

/// <summary>
/// clock.json: the newest signed time this device has accepted and what signed it, the floor of Clock.TrustedClock's
/// "now". Only ever raised.
/// </summary>
internal sealed record SignedTimeRecord
{
    [JsonPropertyName("time")] public required DateTimeOffset Time { get; init; }

    /// <summary>What carried the time, for messages: e.g. "channel 'stable' version 42 (issued)".</summary>
    [JsonPropertyName("source")] public required string Source { get; init; }
}
