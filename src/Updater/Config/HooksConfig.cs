// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Parsing;

namespace Updater.Config;

/// <summary>
/// update.conf's [hooks] and [hooks.CLASS] sections (docs/hooks.md): programs the device maker runs around an
/// install, in the spirit of RAUC's handlers and Mender's state scripts. [hooks] runs once per install,
/// [hooks.CLASS] once per image of that slot class. Both sections are optional.
/// </summary>
internal sealed record HooksConfig
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>A data migration or a peripheral flash takes minutes; a day is surely a hung hook.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    public static HooksConfig None { get; } = new();

    /// <summary>[hooks]: once per install, before the first write and after the last.</summary>
    public HookPair Install { get; init; } = new();

    /// <summary>[hooks.CLASS], by slot class.</summary>
    public IReadOnlyDictionary<string, HookPair> ByClass { get; init; } = new Dictionary<string, HookPair>(StringComparer.Ordinal);

    /// <summary>How long a bundle's own hooks may run: [hooks] timeout.</summary>
    public TimeSpan BundleHookTimeout => Install.Timeout;

    public bool IsEmpty => Install.IsEmpty && ByClass.Count == 0;

    internal static HookPair Read(IniSection section, TimeSpan fallbackTimeout, bool allowMount)
    {
        var reader = new SectionReader(section);
        string? pre = Program(reader, "pre-install");
        string? post = Program(reader, "post-install");
        var timeout = Duration.Read(reader, "timeout", fallbackTimeout, TimeSpan.FromSeconds(1), MaxTimeout);
        bool mount = false;
        if (allowMount)
        {
            mount = reader.Bool("mount", false);
            if (mount && post is null)
            {
                throw new ConfigException($"{reader.Entry("mount")!.Where}: key 'mount' mounts the new image for the post-install hook, but [{section.Name}] has no post-install");
            }
        }
        reader.RejectUnknown();
        return new HookPair { PreInstall = pre, PostInstall = post, Timeout = timeout, MountImage = mount, Where = $"{section.File}:{section.Line}" };
    }

    // A hook is run directly (no shell, no PATH search): an absolute path, so what runs as root is exactly the
    // file named, and its owner and mode are checked at run time (TrustedPath).
    private static string? Program(SectionReader reader, string key)
    {
        string? value = reader.Optional(key);
        if (value is not null && (!Path.IsPathRooted(value) || value.Contains(' ', StringComparison.Ordinal)))
        {
            throw new ConfigException($"{reader.Entry(key)!.Where}: key '{key}' must be the absolute path of one executable (no arguments: it gets its input as UPDATER_* variables), found '{IniExcerpt.Of(value)}'");
        }
        return value;
    }
}

/// <summary>The hooks of one section: a program before the writes, one after, and their deadline.</summary>
internal sealed record HookPair
{
    public string? PreInstall { get; init; }
    public string? PostInstall { get; init; }
    public TimeSpan Timeout { get; init; } = HooksConfig.DefaultTimeout;

    /// <summary>[hooks.CLASS] mount: the post-install hook gets the new image mounted read-only (UPDATER_MOUNT_POINT).</summary>
    public bool MountImage { get; init; }

    /// <summary>File and line of the section, for errors about it.</summary>
    public string Where { get; init; } = "";

    public bool IsEmpty => PreInstall is null && PostInstall is null;
}
