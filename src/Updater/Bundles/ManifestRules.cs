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
        for (int i = 0; i < m.Images.Count; i++)
        {
            var img = m.Images[i];
            string field = $"images[{i}]";
            Require(img is not null, name, field, "is null");
            Require(!string.IsNullOrEmpty(img!.SlotClass) && img.SlotClass.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'), name, $"{field}.slot_class", "must be letters, digits, '-' or '_'");
            Require(classes.Add(img.SlotClass), name, $"{field}.slot_class", $"'{img.SlotClass}' appears twice");
            Require(img.Size is > 0 and <= MaxImageSize, name, $"{field}.size", $"must be 1..{MaxImageSize}");
            Require(IsHex(img.Sha256, 64), name, $"{field}.sha256", "must be 64 lowercase hex digits");
            Require(img.ChunkSize is >= MinChunkSize and <= MaxChunkSize && (img.ChunkSize & (img.ChunkSize - 1)) == 0, name, $"{field}.chunk_size", $"must be a power of two from {MinChunkSize} to {MaxChunkSize}");
            long expectedChunks = (img.Size + img.ChunkSize - 1) / img.ChunkSize;
            Require(img.ChunkCount == expectedChunks, name, $"{field}.chunk_count", $"is {img.ChunkCount}, expected {expectedChunks} for size {img.Size}");
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
