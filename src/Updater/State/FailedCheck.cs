// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.State;

/// <summary>A required health check that failed, as kept in the state directory to explain a rollback later.</summary>
internal sealed record FailedCheck
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("kind")] public required string Kind { get; init; }
    [JsonPropertyName("target")] public required string Target { get; init; }
    [JsonPropertyName("source")] public required string Source { get; init; }
    [JsonPropertyName("attempts")] public required int Attempts { get; init; }
    [JsonPropertyName("reason")] public required string Reason { get; init; }
}
