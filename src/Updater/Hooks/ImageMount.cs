// SPDX-License-Identifier: Apache-2.0
namespace Updater.Hooks;

/// <summary>
/// A freshly written slot mounted read-only (nosuid, nodev; a block device set read-only first, a file through a
/// read-only loop device) on a private directory, for a post-install hook that reads the new image. Read-only, so
/// neither the hook nor the filesystem's journal replay changes what was verified; unmounted (lazily, if
/// something still holds it) and removed on dispose.
/// </summary>
internal sealed class ImageMount : IAsyncDisposable
{
    private const string MountProgram = "/bin/mount";
    private const string UnmountProgram = "/bin/umount";
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    private const string BlockdevProgram = "/sbin/blockdev";

    private readonly DirectoryInfo _directory;
    private readonly string? _readOnlyDevice;

    private ImageMount(DirectoryInfo directory, string? readOnlyDevice)
    {
        _directory = directory;
        _readOnlyDevice = readOnlyDevice;
    }

    public string Path => _directory.FullName;

    /// <summary>
    /// Mounts <paramref name="device"/>. A block device is first set read-only (BLKROSET): a read-only mount of
    /// ext4 or XFS still replays a dirty journal, which would change the verified slot; a file goes through a
    /// read-only loop device.
    /// </summary>
    /// <returns>The mount, or why there is none (nothing stays mounted or read-only then).</returns>
    public static async Task<(ImageMount? Mount, string? Problem)> MountAsync(string device, CancellationToken cancellationToken)
    {
        bool block = IsBlockDevice(device);
        // Mode 0700: only root walks into the new image while the hook runs.
        var directory = Directory.CreateTempSubdirectory("updater-image-");
        var mount = new ImageMount(directory, block ? device : null);
        try
        {
            if (block)
            {
                var (readOnly, why) = await RunAsync(BlockdevProgram, ["--setro", device], cancellationToken).ConfigureAwait(false);
                if (!readOnly)
                {
                    await mount.DisposeAsync().ConfigureAwait(false);
                    return (null, $"{BlockdevProgram} --setro {why}");
                }
            }
            string options = "ro,nosuid,nodev" + (block ? "" : ",loop");
            var (mounted, output) = await RunAsync(MountProgram, ["-o", options, "--", device, directory.FullName], cancellationToken).ConfigureAwait(false);
            if (!mounted)
            {
                await mount.DisposeAsync().ConfigureAwait(false);
                return (null, $"{MountProgram} {output}");
            }
            return (mount, null);
        }
        catch (OperationCanceledException)
        {
            // mount(8) may have been killed after its mount(2) succeeded: undo whatever it got to.
            await mount.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (IsMountPoint(Path))
        {
            var (unmounted, _) = await RunAsync(UnmountProgram, ["--", Path], CancellationToken.None).ConfigureAwait(false);
            if (!unmounted)
            {
                // Busy (a process the hook left behind): detached now, released when the last user goes.
                await RunAsync(UnmountProgram, ["-l", "--", Path], CancellationToken.None).ConfigureAwait(false);
            }
        }
        if (_readOnlyDevice is not null)
        {
            await RunAsync(BlockdevProgram, ["--setrw", _readOnlyDevice], CancellationToken.None).ConfigureAwait(false);
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

    // A mount point is on another device than its parent directory.
    private static bool IsMountPoint(string path) =>
        Mono.Unix.Native.Syscall.stat(path, out var here) == 0 && Mono.Unix.Native.Syscall.stat(System.IO.Path.GetDirectoryName(path)!, out var parent) == 0
        && here.st_dev != parent.st_dev;

    private static bool IsBlockDevice(string path) =>
        Mono.Unix.Native.Syscall.stat(path, out var st) == 0 && (st.st_mode & Mono.Unix.Native.FilePermissions.S_IFMT) == Mono.Unix.Native.FilePermissions.S_IFBLK;

    private static async Task<(bool Passed, string Output)> RunAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var outcome = await HookRunner.RunToolAsync(program, arguments, Deadline, cancellationToken).ConfigureAwait(false);
        string output = outcome.Output.ReplaceLineEndings(" ");
        return (outcome.Passed, outcome.Passed ? output : $"{outcome.Failure}: {(output.Length > 400 ? output[..400] : output)}");
    }
}
