// SPDX-License-Identifier: Apache-2.0
using Updater.Config;
using Updater.Device;
using Updater.Tests.Support;

namespace Updater.Tests.Config;

/// <summary>
/// Who may change what runs as root (sshd's StrictModes): update.conf, its trust root, the health checks and the
/// state directory must be root's and not writable by group or others; the state directory must not sit on a slot.
/// </summary>
public sealed class TrustedPathTests : IDisposable
{
    private readonly TestDevice _box = new(slotSize: 1 << 20);

    public void Dispose() => _box.Dispose();

    private ConfigException Refused() => Assert.Throws<ConfigException>(() => DeviceContext.Load(_box.ConfigPath));

    [Fact]
    public async Task A_group_writable_update_conf_is_refused_with_exit_3_before_anything_runs()
    {
        File.SetUnixFileMode(_box.ConfigPath, File.GetUnixFileMode(_box.ConfigPath) | UnixFileMode.GroupWrite);
        byte[] env = File.ReadAllBytes(_box.GrubEnv);

        var result = await UpdaterProcess.ExpectAsync((int)ExitCode.Config, "--config", _box.ConfigPath, "mark-bad", "B");

        Assert.Contains($"{_box.ConfigPath}: the configuration is writable by its group (mode 0664): refused (chmod go-w {_box.ConfigPath})", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(env, File.ReadAllBytes(_box.GrubEnv));
    }

    [Fact]
    public void A_world_writable_health_check_drop_in_is_refused()
    {
        string checks = _box.Path("health.d");
        Directory.CreateDirectory(checks);
        string dropIn = Path.Combine(checks, "10-app.conf");
        File.WriteAllText(dropIn, "[check.app]\ntype = command\ncommand = true\n");
        File.SetUnixFileMode(dropIn, (UnixFileMode)0x1B6); // 0666
        _box.AppendConfig($"[health]\nchecks-dir = {checks}");

        Assert.Equal($"{dropIn}: the health checks directory is writable by group and others (mode 0666): refused (chmod go-w {dropIn})", Refused().Message);
    }

    [Fact]
    public void A_trust_root_owned_by_another_user_is_refused()
    {
        string key = _box.RootPath;
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        ProcessRunner.RunChecked("chown", "1234", key);

        Assert.Equal($"{key}: the trust root is owned by uid 1234, not by root: refused (chown root {key})", Refused().Message);
    }

    [Fact]
    public void A_state_directory_in_a_world_writable_directory_is_refused()
    {
        string parent = _box.Path("shared");
        Directory.CreateDirectory(parent);
        File.SetUnixFileMode(parent, (UnixFileMode)0x1FF); // 0777
        File.WriteAllText(_box.ConfigPath, _box.ConfigText().Replace($"state-dir = {_box.StateDir}", $"state-dir = {parent}/state", StringComparison.Ordinal));
        Directory.CreateDirectory(Path.Combine(parent, "state"));

        Assert.StartsWith($"{parent}: the directory of the state directory is writable by group and others", Refused().Message, StringComparison.Ordinal);
    }

    [RootFact]
    public void A_state_directory_on_a_slot_device_is_refused()
    {
        string backing = _box.Path("slot-b-fs.img");
        File.WriteAllBytes(backing, new byte[8 << 20]);
        using var loop = LoopDevice.Attach(backing);
        ProcessRunner.RunChecked("mkfs.ext4", "-q", loop.Path);
        string mount = _box.Path("mnt");
        Directory.CreateDirectory(mount);
        ProcessRunner.RunChecked("mount", loop.Path, mount);
        try
        {
            File.WriteAllText(_box.ConfigPath, _box.ConfigText()
                .Replace($"device = {_box.SlotB}", $"device = {loop.Path}", StringComparison.Ordinal)
                .Replace($"state-dir = {_box.StateDir}", $"state-dir = {mount}/updater", StringComparison.Ordinal));

            Assert.Equal($"{_box.ConfigPath}: [system] state-dir {mount}/updater is on {loop.Path}, the device of slot rootfs.1: " +
                "an install would overwrite it or leave it behind on the other side; put it on a partition no slot uses (e.g. /data or /var/lib on its own partition)", Refused().Message);
        }
        finally
        {
            ProcessRunner.RunChecked("umount", mount);
        }
    }
}
