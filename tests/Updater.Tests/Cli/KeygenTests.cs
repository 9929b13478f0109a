// SPDX-License-Identifier: Apache-2.0
using Updater.Tests.Support;

namespace Updater.Tests.Cli;

/// <summary>`updater keygen` through the real executable: the private key is never readable by others, and a name taken by a file or a symlink is replaced, never written through.</summary>
public sealed class KeygenTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Force_replaces_a_world_readable_file_and_a_symlink_without_writing_through_them()
    {
        string prefix = _dir.Path("vendor");
        string victim = _dir.Path("victim");
        File.WriteAllText(victim, "must stay\n");
        File.WriteAllText(prefix + ".key", "old key\n");
        File.SetUnixFileMode(prefix + ".key", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.CreateSymbolicLink(prefix + ".pub.pem", victim);

        await UpdaterProcess.ExpectAsync(0, "keygen", "-o", prefix, "--force");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(prefix + ".key"));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(prefix + ".key"), StringComparison.Ordinal);
        Assert.Null(new FileInfo(prefix + ".pub.pem").LinkTarget);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", File.ReadAllText(prefix + ".pub.pem"), StringComparison.Ordinal);
        Assert.Equal("must stay\n", File.ReadAllText(victim));
        Assert.Equal(["vendor.key", "vendor.pub.pem", "victim"], Directory.GetFileSystemEntries(_dir.Root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Without_force_a_dangling_symlink_is_an_existing_name()
    {
        string prefix = _dir.Path("vendor");
        File.CreateSymbolicLink(prefix + ".key", _dir.Path("nowhere"));

        var result = await UpdaterProcess.ExpectAsync((int)ExitCode.Usage, "keygen", "-o", prefix);

        Assert.Contains("vendor.key exists; pass --force", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.Path("nowhere")));
    }
}
