namespace Updater.Bundles;

/// <summary>One chunk: the SHA-256 of its uncompressed bytes, and where its stored bytes are in the payload.</summary>
internal readonly record struct ChunkEntry(byte[] Sha256, long Offset, int StoredLength, ChunkEncoding Encoding);
