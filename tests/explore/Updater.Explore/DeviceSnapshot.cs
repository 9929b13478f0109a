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

    /// <summary>A file's part of the key by its path and content: the same bytes are described once (parsing JSON and environments is most of a capture).</summary>
    private static readonly Dictionary<(string Path, string Blob), string> Descriptions = new();

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
        var directories = Directory.GetDirectories(device.Root, "*", SearchOption.AllDirectories)
            .Select(d => Path.GetRelativePath(device.Root, d)).Order(StringComparer.Ordinal).ToList();
        var files = Directory.GetFiles(device.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(full => (Path.GetRelativePath(device.Root, full), ReadUnlocked(full))).ToList();
        return Build(device, files, directories, booted, worked);
    }

    /// <summary>
    /// A file's bytes read with plain open and pread: .NET's own reads take a shared flock, which fails while the
    /// command under the watch holds its install lock (and would be a lock the command itself never sees).
    /// </summary>
    private static byte[] ReadUnlocked(string path)
    {
        int fd = Mono.Unix.Native.Syscall.open(path, Mono.Unix.Native.OpenFlags.O_RDONLY | Mono.Unix.Native.OpenFlags.O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"{path}: {Mono.Unix.Native.Stdlib.GetLastError()}");
        }
        try
        {
            if (Mono.Unix.Native.Syscall.fstat(fd, out var stat) != 0)
            {
                throw new IOException($"{path}: {Mono.Unix.Native.Stdlib.GetLastError()}");
            }
            var bytes = new byte[stat.st_size];
            long done = 0;
            while (done < bytes.LongLength)
            {
                long n;
                unsafe
                {
                    fixed (byte* p = &bytes[done])
                    {
                        n = Mono.Unix.Native.Syscall.pread(fd, p, (ulong)(bytes.LongLength - done), done);
                    }
                }
                if (n <= 0)
                {
                    throw new IOException($"{path}: short read at byte {done}");
                }
                done += n;
            }
            return bytes;
        }
        finally
        {
            Mono.Unix.Native.Syscall.close(fd);
        }
    }

    /// <summary>
    /// What a reboot after a cut that loses unsynced data leaves: these files with the undo log put back, newest
    /// entry first, as powercut_reboot does (a write past the end had extended the file; the old size comes back).
    /// </summary>
    public DeviceSnapshot Undone(ExploreDevice device, IReadOnlyList<PowerCut.UndoEntry> undo)
    {
        if (undo.Count == 0)
        {
            return this;
        }
        var files = Files.Select(f => (f.Path, Bytes: Blobs[f.Blob])).ToList();
        foreach (var entry in undo)
        {
            int i = files.FindIndex(f => f.Path == Path.GetRelativePath(device.Root, entry.Path));
            if (i < 0)
            {
                continue;
            }
            byte[] bytes = files[i].Bytes;
            var restored = new byte[Math.Max(bytes.LongLength, entry.Offset + entry.Bytes.LongLength)];
            bytes.CopyTo(restored, 0);
            entry.Bytes.CopyTo(restored, entry.Offset);
            if (entry.OldSize is long oldSize && restored.LongLength > oldSize)
            {
                restored = restored[..(int)oldSize];
            }
            files[i] = (files[i].Path, restored);
        }
        return Build(device, files, Directories, Booted, Worked);
    }

    private static DeviceSnapshot Build(ExploreDevice device, List<(string Path, byte[] Bytes)> files, IReadOnlyList<string> directories, string booted, IReadOnlySet<string> worked)
    {
        var entries = new List<(string, string)>();
        var key = new StringBuilder();
        key.Append("booted=").Append(booted).Append(";worked=").Append(string.Join(',', worked.Order(StringComparer.Ordinal))).Append('\n');
        foreach (var (relative, bytes) in files)
        {
            string blob = Convert.ToHexString(SHA256.HashData(bytes));
            Blobs.TryAdd(blob, bytes);
            entries.Add((relative, blob));
            if (OutsideKey(relative))
            {
                continue;
            }
            if (!Descriptions.TryGetValue((relative, blob), out var description))
            {
                Descriptions[(relative, blob)] = description = device.Describe(relative, bytes) ?? Normalized(bytes, blob);
            }
            key.Append(relative).Append('=').Append(description).Append('\n');
        }
        return new DeviceSnapshot(entries, directories, booted, worked, key.ToString());
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
