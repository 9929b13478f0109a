// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using TestSupport;
using Updater.Tests.Support;

namespace Updater.Tests.Cli;

/// <summary>Hooks through the real executable: `bundle create` puts them under the signature, `install` runs them and exits 9 when one fails.</summary>
public sealed class HookCliTests : IDisposable
{
    private readonly TestDevice _box = new(slotSize: 2 << 20);

    public void Dispose() => _box.Dispose();

    private string Script(string name, string body)
    {
        string path = _box.Path(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    private async Task<string> CreateAsync(params string[] hookOptions)
    {
        string image = _box.MakeImage("v2.img", 1 << 20, seed: 5);
        string bundle = _box.Path("v2.bundle");
        await UpdaterProcess.ExpectAsync(0, ["bundle", "create", $"rootfs={image}", "-o", bundle, "--compatible", TestDevice.Compatible,
            "--version", "2.0.0", "--key", TestDevice.KeyPath, "--chunk-size", "65536", .. hookOptions]);
        return bundle;
    }

    [Fact]
    public async Task Bundle_create_signs_the_hooks_in_and_bundle_info_shows_them()
    {
        string check = Script("check.sh", "exit 0");
        string post = Script("post.sh", "test -e \"$UPDATER_MOUNT_POINT/etc\"");
        string bundle = await CreateAsync("--install-check", check, "--post-install", $"rootfs={post}", "--mount", "rootfs");

        var text = await UpdaterProcess.ExpectAsync(0, "bundle", "info", bundle);
        Assert.Matches(@"hook install-check: 17 bytes, /bin/sh, sha256 [0-9a-f]{64}", text.Stdout);
        Assert.Contains("hook post-install rootfs: ", text.Stdout, StringComparison.Ordinal);
        Assert.Contains(", image mounted read-only", text.Stdout, StringComparison.Ordinal);
        var json = JsonDocument.Parse((await UpdaterProcess.ExpectAsync(0, "bundle", "info", "--json", bundle)).Stdout).RootElement;
        var hooks = json.GetProperty("manifest").GetProperty("hooks");
        Assert.Equal(File.ReadAllText(check), hooks.GetProperty("install_check").GetProperty("script").GetString());
        Assert.True(hooks.GetProperty("post_install").GetProperty("rootfs").GetProperty("mount").GetBoolean());
        await UpdaterProcess.ExpectAsync(0, "bundle", "verify", "--root", _box.RootPath, bundle);
    }

    [Theory]
    [InlineData("--post-install", "rootfs", "expected CLASS=SCRIPT")]
    [InlineData("--mount", "rootfs", "there is no --post-install rootfs=SCRIPT")]
    [InlineData("--post-install", "appfs=@", "names slot class 'appfs', which has no image in this bundle")]
    [InlineData("--install-check", "@nope", "no such file")]
    public async Task Bundle_create_refuses_a_hook_it_cannot_sign_in(string option, string value, string expected)
    {
        string script = Script("s.sh", "exit 0");
        string image = _box.MakeImage("v2.img", 256 << 10, seed: 5);
        string bundle = _box.Path("bad.bundle");
        var result = await UpdaterProcess.RunAsync("bundle", "create", $"rootfs={image}", "-o", bundle, "--compatible", TestDevice.Compatible,
            "--version", "2.0.0", "--key", TestDevice.KeyPath, option, value.Replace("@", script, StringComparison.Ordinal));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(bundle));
    }

    [Fact]
    public async Task A_script_without_an_interpreter_line_is_refused_at_create()
    {
        string script = _box.Path("plain.sh");
        File.WriteAllText(script, "exit 0\n");
        string image = _box.MakeImage("v2.img", 256 << 10, seed: 5);
        var result = await UpdaterProcess.RunAsync("bundle", "create", $"rootfs={image}", "-o", _box.Path("bad.bundle"), "--compatible", TestDevice.Compatible,
            "--version", "2.0.0", "--key", TestDevice.KeyPath, "--install-check", script);
        Assert.Contains("hooks.install_check.script' must start with a #! line", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_exits_9_on_a_failing_hook_echoes_its_output_and_hands_it_none_of_the_updaters_environment()
    {
        string env = _box.Path("hook.env");
        string hook = Script("pre.sh", $"env > {env}; echo 'modem firmware 1.2 cannot take this release' >&2; exit 2");
        _box.AppendConfig($"[hooks]\npre-install = {hook}");
        string bundle = await CreateAsync();
        var start = UpdaterProcess.StartInfo("--config", _box.ConfigPath, "install", bundle);
        start.Environment["UPDATER_SECRET_TOKEN"] = "do-not-pass-on";
        start.Environment["NOTIFY_SOCKET"] = "/run/systemd/notify";

        var result = await ProcessRunner.RunAsync(start);

        Assert.Equal((int)ExitCode.HookFailed, result.ExitCode);
        Assert.Contains("hook pre-install: modem firmware 1.2 cannot take this release", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("the pre-install hook ([hooks], ", result.Stderr, StringComparison.Ordinal);
        string seen = File.ReadAllText(env);
        Assert.DoesNotContain("do-not-pass-on", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("NOTIFY_SOCKET", seen, StringComparison.Ordinal);
        Assert.Contains("UPDATER_HOOK=pre-install", seen, StringComparison.Ordinal);
        Assert.Contains("PATH=", seen, StringComparison.Ordinal);
    }
}
