// SPDX-License-Identifier: Apache-2.0
namespace Updater.Bundles;

/// <summary>How a chunk is stored in the payload.</summary>
internal enum ChunkEncoding : byte
{
    Stored = 0,
    Zstd = 1,
}
