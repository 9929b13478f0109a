// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Checks;

/// <summary>
/// Passes when a path is a mount point. Symbolic links in the configured path are resolved first, since the
/// kernel lists the real location (<c>/var/run</c> is <c>/run</c>).
/// </summary>
internal sealed class MountProbe(string path) : IHealthProbe
{
    public async ValueTask<ProbeResult> ProbeAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(path) && !File.Exists(path))
        {
            return ProbeResult.Fail($"{path} does not exist");
        }

        var resolved = ResolveLinks(path);
        var mounts = await MountTable.ReadAsync(cancellationToken).ConfigureAwait(false);
        var shown = resolved == path ? path : $"{path} ({resolved})";
        return mounts.ContainsKey(resolved)
            ? ProbeResult.Pass()
            : ProbeResult.Fail($"{shown} is not a mount point");
    }

    /// <summary>The path with every symbolic link in it replaced by its target, like realpath(3).</summary>
    internal static string ResolveLinks(string path)
    {
        const int maxLinks = 40; // the kernel's own limit (ELOOP)
        var pending = new Stack<string>(Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var resolved = "/";
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                resolved = Path.GetDirectoryName(resolved) ?? "/";
                continue;
            }

            var next = Path.Join(resolved, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                resolved = next;
                continue;
            }

            if (++links > maxLinks)
            {
                throw new IOException($"{path}: too many levels of symbolic links");
            }

            // Continue with the target's parts in place of the link, from / for an absolute target.
            if (target.StartsWith('/'))
            {
                resolved = "/";
            }

            foreach (var targetPart in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(targetPart);
            }
        }

        return resolved;
    }
}
