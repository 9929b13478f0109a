// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Fleet;

/// <summary>The last channel file this device accepted: the floor for every later one.</summary>
internal sealed record ChannelState
{
    [JsonPropertyName("channel")] public required string Channel { get; init; }
    [JsonPropertyName("version")] public required long Version { get; init; }
    [JsonPropertyName("payload_sha256")] public required string PayloadSha256 { get; init; }
    /// <summary>The accepted document's issued time; absent in a channel/state.json written before format 2.</summary>
    [JsonPropertyName("issued")] public DateTimeOffset? Issued { get; init; }
    [JsonPropertyName("expires")] public required DateTimeOffset Expires { get; init; }
    [JsonPropertyName("accepted_at")] public required DateTimeOffset AcceptedAt { get; init; }

    /// <summary>The server's ETag for the file, sent back as If-None-Match so an unchanged channel costs a 304.</summary>
    [JsonPropertyName("etag")] public string? ETag { get; init; }
}
