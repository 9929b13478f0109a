// SPDX-License-Identifier: Apache-2.0
using Partition.Filesystems;
using Partition.Slots;
using Updater.Bundles;

namespace Updater.Install;

/// <summary>
/// Before the first write: an image for a slot of type ext4 or vfat must be that filesystem, and the filesystem
/// must end within the image. Read from the image's first chunk, verified against the signed
/// index like every chunk that is written, so a wrong image (the appfs for the rootfs, a truncated export) is
/// refused with the slot untouched rather than found when the new slot fails to mount.
/// </summary>
internal static class SlotTypeCheck
{
    public static async Task CheckAsync(VerifiedBundle bundle, ImagePlan step, string configFile, CancellationToken cancellationToken)
    {
        var slot = step.Slot;
        if (slot.Type == SlotType.Raw)
        {
            return;
        }
        byte[] header = await ReadFirstBytesAsync(bundle, step.Index, FilesystemProbe.HeaderLength, cancellationToken).ConfigureAwait(false);
        var (fs, problem) = FilesystemProbe.Probe(header, slot.Type);
        string configured = $"slot {slot.Name} is type {slot.Type.Word()} ({configFile}: [slot.{slot.Name}] type)";
        if (fs is null)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{bundle.Name}: image '{step.Image.SlotClass}' is not {Article(slot.Type)} filesystem: {problem}; {configured}");
        }
        // The image fits its slot (checked before): a filesystem no larger than the image fits too.
        if (fs.Size > step.Image.Size)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{bundle.Name}: image '{step.Image.SlotClass}' holds {Article(slot.Type)} filesystem of {fs.Size} bytes in only {step.Image.Size} image bytes: a truncated image, its end would be the slot's old content");
        }
    }

    private static string Article(SlotType type) => type == SlotType.Ext4 ? "an ext4" : "a vfat";

    /// <summary>The first <paramref name="length"/> bytes of the image (fewer when its first chunk is shorter), verified.</summary>
    private static async Task<byte[]> ReadFirstBytesAsync(VerifiedBundle bundle, ChunkIndex index, int length, CancellationToken cancellationToken)
    {
        await using var run = await bundle.OpenChunksAsync(index, 0, 1, cancellationToken).ConfigureAwait(false);
        var stored = new byte[ChunkIndex.MaxStoredLength((int)index.ChunkSize)];
        var (chunk, storedLength) = await run.ReadNextAsync(stored, cancellationToken).ConfigureAwait(false);
        var data = new byte[index.ChunkLength(chunk)];
        var verified = ChunkCheck.DecodeAndVerify(index, chunk, stored.AsSpan(0, storedLength), data);
        return verified[..Math.Min(length, verified.Length)].ToArray();
    }
}
