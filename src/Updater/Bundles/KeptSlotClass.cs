// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Bundles;

/// <summary>
/// One entry of the manifest's "keep" list: a slot class the bundle carries no image for, and the SHA-256s of
/// the whole images (as recorded beside the target slot) that this release accepts there.
/// </summary>
internal sealed record KeptSlotClass(
    [property: JsonPropertyName("slot_class")] string SlotClass,
    [property: JsonPropertyName("accept_sha256")] IReadOnlyList<string> AcceptSha256);
