// SPDX-License-Identifier: Apache-2.0
namespace Updater.Fleet;

/// <summary>One fetch of the channel file: its bytes and ETag, or "not modified".</summary>
internal sealed record ChannelFetch(byte[]? Bytes, string? ETag, bool NotModified);
