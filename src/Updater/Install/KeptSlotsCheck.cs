// SPDX-License-Identifier: Apache-2.0
using Updater.Bundles;
using Updater.Config;
using Updater.Device;

namespace Updater.Install;

/// <summary>
/// Before any write: a bundle must cover every slot class the target side has. A class it carries no image
/// for is allowed only when the signed manifest keeps it (its "keep" list) and the target side's slot of that
/// class holds a recorded image (the state directory's SlotRecord) whose SHA-256 the manifest accepts there.
/// Otherwise the install would activate a side whose other slots hold stale or unknown content.
/// </summary>
internal static class KeptSlotsCheck
{
    public static void Check(VerifiedBundle bundle, Side target, UpdaterConfig config)
    {
        var manifest = bundle.Manifest;
        var keep = manifest.Keep ?? [];
        foreach (var kept in keep)
        {
            if (target.Slots.All(s => s.Slot.Class != kept.SlotClass))
            {
                throw new UpdaterException(ExitCode.BadInput, $"{bundle.Name}: bundle keeps slot class '{kept.SlotClass}', which {config.File} does not configure");
            }
        }
        foreach (var (slot, record) in target.Slots)
        {
            if (manifest.Images.Any(i => i.SlotClass == slot.Class))
            {
                continue;
            }
            var kept = keep.FirstOrDefault(k => k.SlotClass == slot.Class)
                ?? throw new UpdaterException(ExitCode.BadInput,
                    $"{bundle.Name}: bundle has no image for slot class '{slot.Class}' and does not keep it: installing it would activate slot {target.Bootname} with whatever {slot.Name} ({slot.Device}) holds; the bundle needs a '{slot.Class}' image or a signed keep entry for it (bundle create --keep {slot.Class}=SHA256)");
            if (record is null)
            {
                throw new UpdaterException(ExitCode.BadInput,
                    $"{bundle.Name}: bundle keeps slot class '{slot.Class}', but {slot.Name} ({slot.Device}) has no recorded image in the state directory: its content is unknown, so it cannot be kept; install a bundle with a '{slot.Class}' image");
            }
            if (!kept.AcceptSha256.Contains(record.ImageSha256, StringComparer.Ordinal))
            {
                throw new UpdaterException(ExitCode.BadInput,
                    $"{bundle.Name}: bundle keeps slot class '{slot.Class}', but {slot.Name} holds image {record.ImageSha256} (version {record.Version}), which the bundle does not accept there (it accepts {string.Join(", ", kept.AcceptSha256)})");
            }
        }
    }
}
