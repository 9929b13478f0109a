// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Text;
using Updater.Bundles;

namespace Updater.Cli;

/// <summary>
/// `updater bundle create`'s hook options (docs/hooks.md): --install-check FILE, --post-install CLASS=FILE and
/// --mount CLASS. The scripts are read whole into the manifest, so the signature covers them.
/// </summary>
internal sealed class BundleHookOptions
{
    private readonly Option<string?> _installCheck = new("--install-check")
    {
        Description = "Script (with a #! line) every device runs before writing anything; a non-zero exit refuses the bundle",
    };

    private readonly Option<string[]> _postInstall = new("--post-install")
    {
        Description = "CLASS=SCRIPT: run on the device after the CLASS image is written, before the slot is activated; a non-zero exit leaves it unactivated; repeat per class",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string[]> _mount = new("--mount")
    {
        Description = "CLASS: the post-install script of CLASS gets the new image mounted read-only at $UPDATER_MOUNT_POINT; repeat per class",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_installCheck);
        command.Options.Add(_postInstall);
        command.Options.Add(_mount);
    }

    /// <returns>Null when no hook option was given.</returns>
    public BundleHooks? Read(ParseResult parse)
    {
        string? check = parse.GetValue(_installCheck);
        var posts = parse.GetValue(_postInstall) ?? [];
        var mounts = (parse.GetValue(_mount) ?? []).ToHashSet(StringComparer.Ordinal);
        if (check is null && posts.Length == 0)
        {
            if (mounts.Count > 0)
            {
                throw new UpdaterException(ExitCode.Usage, $"--mount {mounts.First()}: there is no --post-install {mounts.First()}=SCRIPT to mount the image for");
            }
            return null;
        }
        var byClass = new Dictionary<string, BundleHookScript>(StringComparer.Ordinal);
        foreach (string arg in posts)
        {
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == arg.Length - 1)
            {
                throw new UpdaterException(ExitCode.Usage, $"--post-install '{arg}': expected CLASS=SCRIPT, e.g. rootfs=post-install.sh");
            }
            string slotClass = arg[..eq];
            if (!byClass.TryAdd(slotClass, new BundleHookScript { Script = ReadScript(arg[(eq + 1)..], "--post-install"), Mount = mounts.Remove(slotClass) }))
            {
                throw new UpdaterException(ExitCode.Usage, $"--post-install {slotClass}: given twice");
            }
        }
        if (mounts.Count > 0)
        {
            throw new UpdaterException(ExitCode.Usage, $"--mount {mounts.First()}: there is no --post-install {mounts.First()}=SCRIPT to mount the image for");
        }
        return new BundleHooks
        {
            InstallCheck = check is null ? null : new BundleHookScript { Script = ReadScript(check, "--install-check") },
            PostInstall = byClass.Count == 0 ? null : byClass,
        };
    }

    // Read bounded and as strict UTF-8: the manifest is JSON text, and a script that is not text belongs in an image.
    private static string ReadScript(string path, string option)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new UpdaterException(ExitCode.Usage, $"{option} {path}: no such file");
            }
            if (info.Length > BundleHookScript.MaxLength)
            {
                throw new UpdaterException(ExitCode.Usage, $"{option} {path}: {info.Length} bytes, a bundle hook may have at most {BundleHookScript.MaxLength}");
            }
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path));
        }
        catch (DecoderFallbackException e)
        {
            throw new UpdaterException(ExitCode.Usage, $"{option} {path}: not UTF-8 text at byte {e.Index}");
        }
        catch (IOException e)
        {
            throw new UpdaterException(ExitCode.Io, $"{option} {path}: cannot read: {e.Message}");
        }
    }
}
