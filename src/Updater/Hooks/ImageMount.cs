// SPDX-License-Identifier: Apache-2.0
namespace Updater.Hooks;

/// <summary>
/// A freshly written slot mounted read-only (nosuid, nodev, and through a loop device when the slot is a file)
/// on a private directory, for a post-install hook that reads the new image. Read-only, so a hook can look but
/// never change what was verified; unmounted (lazily, if something still holds it) and removed on dispose.
/// </summary>
internal sealed class ImageMount : IAsyncDisposable
{
    private const string MountProgram = "/bin/mount";
    private const string UnmountProgram = "/bin/umount";
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    private readonly DirectoryInfo _directory;

    private ImageMount(DirectoryInfo directory)
    {
        _directory = directory;
    }

    public string Path => _directory.FullName;

    /// <exception cref="UpdaterException">mount refused the slot (its message is in the error); nothing stays mounted.</exception>
    public static async Task<ImageMount> MountAsync(string device, string slotName, CancellationToken cancellationToken)
    {
        // Mode 0700: only root walks into the new image while the hook runs.
        var directory = Directory.CreateTempSubdirectory("updater-image-");
        string options = "ro,nosuid,nodev" + (File.Exists(device) && !IsBlockDevice(device) ? ",loop" : "");
        var (mounted, output) = await RunAsync(MountProgram, ["-o", options, "--", device, directory.FullName], cancellationToken).ConfigureAwait(false);
        if (!mounted)
        {
            directory.Delete();
            throw new UpdaterException(ExitCode.HookFailed, $"cannot mount the new image of slot {slotName} ({device}) read-only for its post-install hook: {MountProgram} {Text.SafeText.Escape(output)}");
        }
        return new ImageMount(directory);
    }

    public async ValueTask DisposeAsync()
    {
        var (unmounted, _) = await RunAsync(UnmountProgram, ["--", Path], CancellationToken.None).ConfigureAwait(false);
        if (!unmounted)
        {
            // Busy (a process the hook left behind): detached now, released when the last user goes.
            await RunAsync(UnmountProgram, ["-l", "--", Path], CancellationToken.None).ConfigureAwait(false);
        }
        try
        {
            _directory.Delete();
        }
        catch (IOException)
        {
            // Still the mount point of a lazily unmounted image: /tmp's cleanup takes it later.
        }
    }

    private static bool IsBlockDevice(string path) =>
        Mono.Unix.Native.Syscall.stat(path, out var st) == 0 && (st.st_mode & Mono.Unix.Native.FilePermissions.S_IFMT) == Mono.Unix.Native.FilePermissions.S_IFBLK;

    // The hooks' runner: the same deadline, kill and bounded output for mount(8) as for a hook.
    private static async Task<(bool Passed, string Output)> RunAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var outcome = await HookRunner.RunAsync(new HookCommand
        {
            Hook = System.IO.Path.GetFileName(program),
            Source = "updater",
            Program = program,
            Arguments = arguments,
            Variables = new Dictionary<string, string>(),
            Timeout = Deadline,
        }, echo: null, cancellationToken).ConfigureAwait(false);
        string output = outcome.Output.ReplaceLineEndings(" ");
        return (outcome.Passed, outcome.Passed ? output : $"{outcome.Failure}: {(output.Length > 400 ? output[..400] : output)}");
    }
}
