// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Updater.Explore;

/// <summary>
/// Everything a power cut can leave behind, as it lies on disk: every file under the device directory (slots,
/// bootloader environment, state directory, leftover temporaries), plus what the exploration knows beside it
/// (the booted slot, and which images have worked). Blobs are shared by content, so thousands of states cost
/// little more than their distinct files.
/// </summary>
internal sealed class DeviceSnapshot
{
    private static readonly Dictionary<string, byte[]> Blobs = new(StringComparer.Ordinal);

    private DeviceSnapshot(IReadOnlyList<(string Path, string Blob)> files, IReadOnlyList<string> directories, string booted, IReadOnlySet<string> worked, string key)
    {
        Files = files;
        Directories = directories;
        Booted = booted;
        Worked = worked;
        Key = key;
        Id = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32];
    }

    /// <summary>The key's hash: what dictionaries hold.</summary>
    public string Id { get; }

    public IReadOnlyList<(string Path, string Blob)> Files { get; }

    public IReadOnlyList<string> Directories { get; }

    /// <summary>The slot (bootname) the device runs from.</summary>
    public string Booted { get; }

    /// <summary>Images (content names) that booted and passed their checks, or that an operator marked good, or the factory image.</summary>
    public IReadOnlySet<string> Worked { get; }

    /// <summary>
    /// What makes two states the same: the booted slot, the worked images, each slot by its content, the
    /// environment by its variables, and each state file with its times taken out (a time is when a thing
    /// happened, not what the device does next).
    /// </summary>
    public string Key { get; }

    public byte[] Read(string path) => Blobs[Files.First(f => f.Path == path).Blob];

    public static DeviceSnapshot Capture(ExploreDevice device, string booted, IReadOnlySet<string> worked)
    {
        var files = new List<(string, string)>();
        var key = new StringBuilder();
        key.Append("booted=").Append(booted).Append(";worked=").Append(string.Join(',', worked.Order(StringComparer.Ordinal))).Append('\n');
        var directories = Directory.GetDirectories(device.Root, "*", SearchOption.AllDirectories)
            .Select(d => Path.GetRelativePath(device.Root, d)).Order(StringComparer.Ordinal).ToList();
        foreach (string full in Directory.GetFiles(device.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string relative = Path.GetRelativePath(device.Root, full);
            byte[] bytes = File.ReadAllBytes(full);
            string blob = Convert.ToHexString(SHA256.HashData(bytes));
            Blobs.TryAdd(blob, bytes);
            files.Add((relative, blob));
            if (OutsideKey(relative))
            {
                continue;
            }
            key.Append(relative).Append('=').Append(device.Describe(relative, bytes) ?? Normalized(bytes, blob)).Append('\n');
        }
        return new DeviceSnapshot(files, directories, booted, worked, key.ToString());
    }

    public void Restore(ExploreDevice device)
    {
        foreach (string entry in Directory.GetFileSystemEntries(device.Root))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }
        foreach (string directory in Directories)
        {
            Directory.CreateDirectory(Path.Combine(device.Root, directory));
        }
        foreach (var (path, blob) in Files)
        {
            File.WriteAllBytes(Path.Combine(device.Root, path), Blobs[blob]);
        }
    }

    /// <summary>
    /// Files kept in the snapshot but not in the key: lock files (empty; flock on them is all that matters) and the
    /// temporaries an atomic replacement leaves when cut short (the next write of that file removes them, and no
    /// reader looks at them). Directories likewise: they are created when needed.
    /// </summary>
    private static bool OutsideKey(string relative)
    {
        string name = Path.GetFileName(relative);
        return name.EndsWith(".lock", StringComparison.Ordinal) || System.Text.RegularExpressions.Regex.IsMatch(name, @"^\..+\.tmp-[0-9]+$");
    }

    /// <summary>The bytes of a file of the snapshot, or null when it has none by that name.</summary>
    public byte[]? TryRead(string path) => Files.FirstOrDefault(f => f.Path == path) is { Blob: { } blob } ? Blobs[blob] : null;

    /// <summary>Byte-identical on disk (the booted slot and worked set aside).</summary>
    public bool SameFiles(DeviceSnapshot other) =>
        Files.SequenceEqual(other.Files) && Directories.SequenceEqual(other.Directories);

    /// <summary>A JSON state file with every date-time value replaced; anything else by its hash.</summary>
    private static string Normalized(byte[] bytes, string blob)
    {
        try
        {
            var node = JsonNode.Parse(bytes);
            if (node is not null)
            {
                StripTimes(node);
                return node.ToJsonString();
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return blob;
    }

    private static void StripTimes(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var name in o.Select(p => p.Key).ToList())
                {
                    if (o[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length >= 16 && DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out _))
                    {
                        o[name] = "T";
                    }
                    else if (o[name] is { } child)
                    {
                        StripTimes(child);
                    }
                }
                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    if (child is not null)
                    {
                        StripTimes(child);
                    }
                }
                break;
        }
    }
}
