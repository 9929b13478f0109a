// SPDX-License-Identifier: Apache-2.0
using Mono.Unix.Native;

namespace Updater.Config;

/// <summary>
/// What decides what runs as root must be writable only by root, as sshd's StrictModes demands of its files:
/// update.conf, the health.d drop-ins (commands run as root), the trust root (who may sign an OS) and the state
/// directory (the anti-rollback floors). Each must be owned by root (or by the user running the updater, for
/// a test bench or a rescue shell) and not writable by group or others, and so must the directory holding it,
/// or someone else could replace it. A refusal names the path and what is wrong: exit 3 before anything runs.
/// </summary>
internal static class TrustedPath
{
    /// <summary>Checks <paramref name="path"/> and its parent directory; a missing path is left to its reader.</summary>
    public static void Require(string path, string what)
    {
        if (Syscall.lstat(path, out _) != 0)
        {
            return;
        }
        Check(path, what);
        string? parent = Path.GetDirectoryName(Path.GetFullPath(path).TrimEnd('/'));
        if (!string.IsNullOrEmpty(parent))
        {
            Check(parent, $"directory of the {what}");
        }
    }

    /// <summary>
    /// <see cref="Require"/> for a secret (a TLS client key, a bearer token): it must also not be readable by
    /// group or others (mode 0600 or 0400), or anyone on the device could act as it towards the fleet.
    /// </summary>
    public static void RequireSecret(string path, string what)
    {
        Require(path, what);
        if (Syscall.stat(path, out var st) != 0)
        {
            return;
        }
        var readable = st.st_mode & (FilePermissions.S_IRGRP | FilePermissions.S_IROTH);
        if (readable != 0)
        {
            string who = readable == (FilePermissions.S_IRGRP | FilePermissions.S_IROTH) ? "group and others"
                : (readable & FilePermissions.S_IRGRP) != 0 ? "its group" : "others";
            throw new ConfigException($"{path}: the {what} is a secret readable by {who} (mode {Mode(st)}): refused (chmod 0600 {path})");
        }
    }

    /// <summary>Checks a directory, its parent, and every entry in it that its reader takes (<paramref name="pattern"/>).</summary>
    public static void RequireDirectory(string directory, string pattern, string what)
    {
        Require(directory, what);
        if (Directory.Exists(directory))
        {
            foreach (string file in Directory.GetFiles(directory, pattern, SearchOption.TopDirectoryOnly))
            {
                Check(file, what);
            }
        }
    }

    private static void Check(string path, string what)
    {
        // stat, not lstat: what counts is the file the updater will read, wherever a symlink points.
        if (Syscall.stat(path, out var st) != 0)
        {
            throw new ConfigException($"{path}: cannot check the {what}: {Stdlib.strerror(Stdlib.GetLastError())}");
        }
        uint self = Syscall.geteuid();
        if (st.st_uid != 0 && st.st_uid != self)
        {
            throw new ConfigException($"{path}: the {what} is owned by uid {st.st_uid}, not by root: refused (chown root {path})");
        }
        var writable = st.st_mode & (FilePermissions.S_IWGRP | FilePermissions.S_IWOTH);
        if (writable != 0)
        {
            string who = writable == (FilePermissions.S_IWGRP | FilePermissions.S_IWOTH) ? "group and others"
                : (writable & FilePermissions.S_IWGRP) != 0 ? "its group" : "others";
            throw new ConfigException($"{path}: the {what} is writable by {who} (mode {Mode(st)}): refused (chmod go-w {path})");
        }
    }

    private static string Mode(Stat st) => Convert.ToString((uint)st.st_mode & 0xFFF, 8).PadLeft(4, '0');
}
