// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Checks;
using HealthCheck.Definitions;
using HealthCheck.Running;

namespace HealthCheck.Tests.Checks;

/// <summary>Mount checks against the kernel's real mount table, with real tmpfs mounts made by the test.</summary>
public sealed class MountCheckTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("mount-check-");
    private readonly List<string> _mounted = [];

    [Fact]
    public async Task The_root_and_proc_are_mount_points()
    {
        Assert.True((await CheckAsync("/")).Passed);
        Assert.True((await CheckAsync("/proc")).Passed);
    }

    [Fact]
    public async Task A_plain_directory_is_not_a_mount_point()
    {
        var result = await CheckAsync(_directory.Root);

        Assert.False(result.Passed);
        Assert.Equal($"{_directory.Root} is not a mount point", result.Reason);
    }

    [Fact]
    public async Task A_missing_path_fails_as_missing()
    {
        var path = Path.Combine(_directory.Root, "absent");

        var result = await CheckAsync(path);

        Assert.False(result.Passed);
        Assert.Equal($"{path} does not exist", result.Reason);
    }

    [RootFact]
    public async Task A_directory_with_a_file_system_mounted_on_it_passes_and_fails_again_once_unmounted()
    {
        var data = await MountTmpfsAsync("data");

        Assert.True((await CheckAsync(data)).Passed);

        await UnmountAsync(data);
        Assert.False((await CheckAsync(data)).Passed);
    }

    [RootFact]
    public async Task A_mount_point_whose_name_the_kernel_escapes_passes()
    {
        // mountinfo writes the space and the tab as \040 and \011.
        var data = await MountTmpfsAsync("my data\tdir");

        var result = await CheckAsync(data);

        Assert.True(result.Passed, result.Reason);
    }

    [RootFact]
    public async Task A_path_through_a_symbolic_link_to_a_mount_point_passes()
    {
        var data = await MountTmpfsAsync("real");
        var link = Path.Combine(_directory.Root, "link");
        File.CreateSymbolicLink(link, "real");

        var result = await CheckAsync(link + "/");

        Assert.True(result.Passed, result.Reason);
        Assert.Equal(data, MountProbe.ResolveLinks(link));
    }

    [RootFact]
    public async Task A_directory_under_a_mount_point_is_not_one_itself()
    {
        var data = await MountTmpfsAsync("data");
        var below = Directory.CreateDirectory(Path.Combine(data, "below")).FullName;

        var result = await CheckAsync(below);

        Assert.False(result.Passed);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var mountPoint in _mounted.ToList())
        {
            await UnmountAsync(mountPoint);
        }

        _directory.Dispose();
    }

    private static async Task<HealthCheckResult> CheckAsync(string path)
    {
        var check = new HealthCheckDefinition("mount", HealthCheckKind.Mount, path, "mount.conf:1");
        return Assert.Single((await new HealthRunner().RunAsync([check])).Checks);
    }

    private async Task<string> MountTmpfsAsync(string name)
    {
        var mountPoint = Directory.CreateDirectory(Path.Combine(_directory.Root, name)).FullName;
        await ProcessRunner.RunCheckedAsync("mount", "-t", "tmpfs", "-o", "size=1m", "updater-test", mountPoint);
        _mounted.Add(mountPoint);
        return mountPoint;
    }

    private async Task UnmountAsync(string mountPoint)
    {
        await ProcessRunner.RunCheckedAsync("umount", mountPoint);
        _mounted.Remove(mountPoint);
    }
}
