// SPDX-License-Identifier: Apache-2.0
namespace Updater.Bundles;

/// <summary>
/// One chunk: the SHA-256 of its uncompressed content and of its stored bytes, and where the stored bytes are
/// in the payload. The hashes are views into the index's own bytes (no copy per chunk), so an index of any
/// permitted size costs its byte length in memory and nothing more.
/// </summary>
internal readonly record struct ChunkEntry(ReadOnlyMemory<byte> Sha256, ReadOnlyMemory<byte> StoredSha256, long Offset, int StoredLength, ChunkEncoding Encoding);
