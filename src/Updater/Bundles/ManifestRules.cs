// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace Updater.Bundles;

/// <summary>
/// The consistency rules of a manifest, checked after its signature: a signed but nonsensical manifest
/// (from a buggy or compromised build host) must still fail cleanly rather than drive the installer.
/// </summary>
internal static class ManifestRules
{
    public const int MinChunkSize = 4096;
    public const int MaxChunkSize = 16 << 20;
    public const int MaxImages = 16;

    /// <summary>1 PiB: far beyond any slot, and small enough that no offset arithmetic below can overflow.</summary>
    public const long MaxImageSize = 1L << 50;

    /// <summary>
    /// Chunks per bundle, all images together. An install holds every image's verified index in memory
    /// (<see cref="ChunkIndex.EntrySize"/> bytes per chunk, nothing more), so this caps that memory at 20 MiB
    /// whatever the image sizes: a 64 GiB image at the default 1 MiB chunks is 65,536 chunks (5 MiB of index);
    /// at 16 MiB chunks the cap allows 4 TiB. Without it a signed 1 PiB image of 4 KiB chunks would ask for
    /// 20 GiB of index.
    /// </summary>
    public const long MaxChunkCount = 1 << 18;

    /// <summary>Image SHA-256s one kept slot class may accept (a few earlier releases of that class).</summary>
    public const int MaxAcceptedImages = 16;

    public static void Check(BundleManifest m, long dataLength, string name)
    {
        if (m.Format != BundleManifest.SupportedFormat)
        {
            throw new BundleFormatException($"{name}: manifest field 'format' is {m.Format}, expected {BundleManifest.SupportedFormat}");
        }
        Require(!string.IsNullOrEmpty(m.Compatible) && m.Compatible.Length <= 256, name, "compatible", "must be 1..256 characters");
        ReleaseVersion.Parse(m.Version, $"{name}: manifest field 'version'");
        Require(m.SecurityVersion >= 0, name, "security_version", "must not be negative");
        Require(DateTimeOffset.TryParse(m.Created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _), name, "created", "must be an ISO 8601 time");
        Require(m.Images is { Count: > 0 and <= MaxImages }, name, "images", $"must list 1..{MaxImages} images");

        var ranges = new List<(long Start, long End, string What)>();
        var classes = new HashSet<string>(StringComparer.Ordinal);
        long totalChunks = 0;
        for (int i = 0; i < m.Images.Count; i++)
        {
            var img = m.Images[i];
            string field = $"images[{i}]";
            Require(img is not null, name, field, "is null");
            Require(IsSlotClass(img!.SlotClass), name, $"{field}.slot_class", "must be letters, digits, '-' or '_' (1..64 of them)");
            Require(classes.Add(img.SlotClass), name, $"{field}.slot_class", $"'{img.SlotClass}' appears twice");
            Require(img.Size is > 0 and <= MaxImageSize, name, $"{field}.size", $"must be 1..{MaxImageSize}");
            Require(IsHex(img.Sha256, 64), name, $"{field}.sha256", "must be 64 lowercase hex digits");
            Require(img.ChunkSize is >= MinChunkSize and <= MaxChunkSize && (img.ChunkSize & (img.ChunkSize - 1)) == 0, name, $"{field}.chunk_size", $"must be a power of two from {MinChunkSize} to {MaxChunkSize}");
            long expectedChunks = (img.Size + img.ChunkSize - 1) / img.ChunkSize;
            Require(img.ChunkCount == expectedChunks, name, $"{field}.chunk_count", $"is {img.ChunkCount}, expected {expectedChunks} for size {img.Size}");
            totalChunks += img.ChunkCount;
            Require(totalChunks <= MaxChunkCount, name, $"{field}.chunk_count", $"brings the bundle to {totalChunks} chunks, more than the {MaxChunkCount} an install holds in memory (use a larger chunk size)");
            Require(img.Compression is "zstd" or "none", name, $"{field}.compression", "must be zstd or none");
            Require(img.Index is not null && img.Index.Length == img.ChunkCount * ChunkIndex.EntrySize, name, $"{field}.index.length", "does not match chunk_count");
            Require(IsHex(img.Index!.Sha256, 64), name, $"{field}.index.sha256", "must be 64 lowercase hex digits");
            Require(img.Payload is not null && img.Payload.Length > 0, name, $"{field}.payload.length", "must be positive");
            Require(IsHex(img.Payload!.Sha256, 64), name, $"{field}.payload.sha256", "must be 64 lowercase hex digits");
            Require(img.Payload.Length <= img.ChunkCount * (long)ChunkIndex.MaxStoredLength(img.ChunkSize), name, $"{field}.payload.length", "is larger than the chunks can be");
            foreach (var (offset, length, what) in new[] { (img.Index.Offset, img.Index.Length, $"{field}.index"), (img.Payload.Offset, img.Payload.Length, $"{field}.payload") })
            {
                // Compared without adding first: offset + length could overflow for hostile values.
                if (offset < 0 || length < 0 || offset > dataLength - length)
                {
                    throw new BundleFormatException($"{name}: truncated or malformed: manifest field {what} (offset {offset}, length {length}) does not lie within the data area of {dataLength} bytes");
                }
                ranges.Add((offset, offset + length, what));
            }
        }
        CheckKeep(m, classes, name);
        CheckHooks(m, classes, name);
        foreach (var r in ranges)
        {
            if (r.Start < 0 || r.End > dataLength)
            {
                throw new BundleFormatException($"{name}: truncated: manifest field {r.What} covers data bytes {r.Start}..{r.End}, the data area has {dataLength}");
            }
        }
        var sorted = ranges.OrderBy(r => r.Start).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Start < sorted[i - 1].End)
            {
                throw new BundleFormatException($"{name}: manifest fields {sorted[i - 1].What} and {sorted[i].What} overlap");
            }
        }
        long end = ranges.Max(r => r.End);
        if (end != dataLength)
        {
            throw new BundleFormatException($"{name}: {dataLength - end} unexpected bytes after the last payload (the data area should end at data byte {end})");
        }
    }

    /// <summary>The optional "keep" list: classes the bundle leaves as they are, each with the images it accepts there.</summary>
    private static void CheckKeep(BundleManifest m, HashSet<string> imageClasses, string name)
    {
        if (m.Keep is null)
        {
            return;
        }
        Require(m.Keep.Count is > 0 and <= MaxImages, name, "keep", $"must list 1..{MaxImages} slot classes when present");
        var kept = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < m.Keep.Count; i++)
        {
            var keep = m.Keep[i];
            string field = $"keep[{i}]";
            Require(keep is not null, name, field, "is null");
            Require(IsSlotClass(keep!.SlotClass), name, $"{field}.slot_class", "must be letters, digits, '-' or '_' (1..64 of them)");
            Require(!imageClasses.Contains(keep.SlotClass), name, $"{field}.slot_class", $"'{keep.SlotClass}' also has an image in this bundle");
            Require(kept.Add(keep.SlotClass), name, $"{field}.slot_class", $"'{keep.SlotClass}' appears twice");
            Require(keep.AcceptSha256 is { Count: > 0 and <= MaxAcceptedImages }, name, $"{field}.accept_sha256", $"must list 1..{MaxAcceptedImages} image SHA-256s");
            for (int j = 0; j < keep.AcceptSha256.Count; j++)
            {
                Require(IsHex(keep.AcceptSha256[j], 64), name, $"{field}.accept_sha256[{j}]", "must be 64 lowercase hex digits");
            }
        }
    }

    /// <summary>The optional "hooks": scripts the kernel could run (a #! line), for images of this bundle.</summary>
    private static void CheckHooks(BundleManifest m, HashSet<string> imageClasses, string name)
    {
        if (m.Hooks is null)
        {
            return;
        }
        Require(m.Hooks.InstallCheck is not null || m.Hooks.PostInstall is { Count: > 0 }, name, "hooks", "names no hook (leave it out instead)");
        if (m.Hooks.InstallCheck is { } check)
        {
            CheckScript(check, name, "hooks.install_check");
            Require(!check.Mount, name, "hooks.install_check.mount", "must be false: nothing is written when the install-check runs");
        }
        foreach (var (slotClass, hook) in m.Hooks.PostInstall ?? new Dictionary<string, BundleHookScript>())
        {
            string field = $"hooks.post_install.{(IsSlotClass(slotClass) ? slotClass : "?")}";
            Require(IsSlotClass(slotClass), name, field, "must be keyed by a slot class: letters, digits, '-' or '_' (1..64 of them)");
            Require(imageClasses.Contains(slotClass), name, field, $"names slot class '{slotClass}', which has no image in this bundle");
            CheckScript(hook, name, field);
        }
    }

    private static void CheckScript(BundleHookScript? hook, string name, string field)
    {
        Require(hook is not null, name, field, "is null");
        Require(hook!.Script is { Length: > 0 } && System.Text.Encoding.UTF8.GetByteCount(hook.Script) <= BundleHookScript.MaxLength, name, $"{field}.script",
            $"must be 1..{BundleHookScript.MaxLength} bytes");
        Require(!hook.Script.Contains('\0', StringComparison.Ordinal), name, $"{field}.script", "contains a NUL character");
        Require(hook.Interpreter() is not null, name, $"{field}.script", "must start with a #! line naming an absolute interpreter path, e.g. #!/bin/sh");
    }

    private static bool IsSlotClass(string? s) =>
        !string.IsNullOrEmpty(s) && s.Length <= 64 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static void Require(bool ok, string name, string field, string problem)
    {
        if (!ok)
        {
            throw new BundleFormatException($"{name}: manifest field '{field}' {problem}");
        }
    }

    private static bool IsHex(string? s, int length) =>
        s is not null && s.Length == length && s.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
