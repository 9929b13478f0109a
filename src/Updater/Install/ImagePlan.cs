// SPDX-License-Identifier: Apache-2.0
using Partition.Slots;
using Updater.Bundles;

namespace Updater.Install;

/// <summary>One image of the bundle and the slot of the target side it goes to, with its verified chunk index.</summary>
internal sealed record ImagePlan(ImageManifest Image, ChunkIndex Index, Slot Slot);
