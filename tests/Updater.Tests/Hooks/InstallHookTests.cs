// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using Updater.Bundles;
using Updater.Device;
using Updater.Events;
using Updater.Hooks;
using Updater.Install;
using Updater.State;
using Updater.Tests.Events;
using Updater.Tests.Support;
using Updater.Transport;
using TestSupport;

namespace Updater.Tests.Hooks;

/// <summary>
/// update.conf's [hooks] and [hooks.CLASS], and a bundle's own hooks, run by a real install with real programs:
/// a failing pre-install or install-check stops before any write; a failing post-install leaves the slot
/// written and not activated, with the hook's output in the error, the install journal and `updater status`;
/// rerunning the install finishes it.
/// </summary>
public sealed class InstallHookTests : IDisposable
{
    private readonly TestDevice _box = new(slotSize: 3 << 20);
    private readonly StateDirectory _state;

    public InstallHookTests()
    {
        _state = new StateDirectory(_box.StateDir);
    }

    public void Dispose() => _box.Dispose();

    /// <summary>An executable shell script in the device's directory (root-owned, mode 0755: a trusted hook).</summary>
    private string Hook(string name, string body)
    {
        string path = _box.Path(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    private async Task<string> BundleAsync(BundleHooks? hooks = null, string version = "2.0.0")
    {
        string image = _box.MakeImage($"v{version}.img", 1 << 20, seed: 7);
        string path = _box.Path($"v{version}.bundle");
        await new BundleWriter(new BundleCreateRequest
        {
            Images = [new BundleImageInput("rootfs", image)],
            Compatible = TestDevice.Compatible,
            Version = version,
            SecurityVersion = 0,
            ChunkSize = 64 * 1024,
            Hooks = hooks,
        }, [_box.Key]).WriteAsync(path, null, CancellationToken.None);
        return path;
    }

    private async Task<InstallResult> InstallAsync(string bundle, FakeBootloader bootloader, IUpdateEvents? events = null, List<string>? echoed = null, CancellationToken cancellationToken = default)
    {
        await using var source = FileBundleSource.Open(bundle);
        return await _box.Installer(bootloader, events: events).InstallAsync(source, new InstallOptions { HookOutput = echoed is null ? null : echoed.Add }, null, cancellationToken);
    }

    private static Dictionary<string, string> ReadEnv(string path) =>
        File.ReadAllLines(path).Where(l => l.StartsWith("UPDATER_", StringComparison.Ordinal))
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    [Fact]
    public async Task A_failing_pre_install_hook_stops_before_any_write_and_says_what_it_printed()
    {
        string hook = Hook("pre.sh", "echo checking the battery; echo 'battery at 3 %' >&2; exit 3");
        _box.AppendConfig($"[hooks]\npre-install = {hook}");
        string bundle = await BundleAsync();
        string slotB = TestDevice.Sha256Of(_box.SlotB);
        var bootloader = new FakeBootloader();
        var events = new RecordedEvents();
        var echoed = new List<string>();

        var e = await Assert.ThrowsAsync<HookFailedException>(() => InstallAsync(bundle, bootloader, events, echoed));

        Assert.Equal(ExitCode.HookFailed, e.ExitCode);
        Assert.Contains($"the pre-install hook ([hooks], {hook}) exited with status 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("checking the battery", e.Message, StringComparison.Ordinal);
        Assert.Contains("battery at 3 %", e.Message, StringComparison.Ordinal);
        Assert.Empty(bootloader.Calls);
        Assert.Equal(slotB, TestDevice.Sha256Of(_box.SlotB));
        Assert.Null(_state.ReadJournal());
        Assert.Contains("pre-install: battery at 3 %", echoed);
        Assert.Equal(["install-failed"], events.Names);
        Assert.Contains("exited with status 3", events.All[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hooks_run_in_order_with_the_documented_variables_and_none_of_the_updaters_own()
    {
        string log = _box.Path("order.log");
        string Dump(string name) => Hook($"{name}.sh", $"echo {name} >> {log}; env > {_box.Path(name + ".env")}");
        _box.AppendConfig($"[hooks]\npre-install = {Dump("pre")}\npost-install = {Dump("post")}\ntimeout = 30s\n" +
            $"[hooks.rootfs]\npre-install = {Dump("class-pre")}\npost-install = {Dump("class-post")}");
        string bundle = await BundleAsync(new BundleHooks
        {
            InstallCheck = new BundleHookScript { Script = $"#!/bin/sh\necho install-check >> {log}\nenv > {_box.Path("check.env")}\n" },
            PostInstall = new Dictionary<string, BundleHookScript> { ["rootfs"] = new() { Script = $"#!/bin/sh\necho bundle-post >> {log}\nenv > {_box.Path("bundle-post.env")}\n" } },
        });
        var bootloader = new FakeBootloader();
        bootloader.BeforeCall = call =>
        {
            // Every pre-write hook ran before the target was first marked bad; every post-install before activation.
            string[] ran = File.Exists(log) ? File.ReadAllLines(log) : [];
            Assert.Equal(call.StartsWith("bad", StringComparison.Ordinal) ? 3 : 6, ran.Length);
        };

        await InstallAsync(bundle, bootloader);

        Assert.Equal(["install-check", "pre", "class-pre", "class-post", "bundle-post", "post"], File.ReadAllLines(log));
        Assert.Equal(["bad B", "activate B Trial"], bootloader.Calls);
        var slotB = _box.Config.Slots.Find("rootfs", "B")!;
        var classPost = ReadEnv(_box.Path("class-post.env"));
        Assert.Equal("post-install", classPost["UPDATER_HOOK"]);
        Assert.Equal("[hooks.rootfs]", classPost["UPDATER_HOOK_SOURCE"]);
        Assert.Equal("2.0.0", classPost["UPDATER_BUNDLE_VERSION"]);
        Assert.Equal(TestDevice.Compatible, classPost["UPDATER_BUNDLE_COMPATIBLE"]);
        Assert.Equal("A", classPost["UPDATER_BOOTED_SLOT"]);
        Assert.Equal("B", classPost["UPDATER_TARGET_SLOT"]);
        Assert.Equal("rootfs", classPost["UPDATER_SLOT_CLASS"]);
        Assert.Equal(slotB.Name, classPost["UPDATER_SLOT_NAME"]);
        Assert.Equal(_box.SlotB, classPost["UPDATER_SLOT_DEVICE"]);
        Assert.Equal("B", classPost["UPDATER_SLOT_BOOTNAME"]);
        Assert.Equal((1 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), classPost["UPDATER_IMAGE_SIZE"]);
        Assert.Equal(TestDevice.Sha256Of(_box.Path("v2.0.0.img")), classPost["UPDATER_IMAGE_SHA256"]);
        Assert.Equal("no", classPost["UPDATER_RESUMING"]);
        Assert.Equal(64, classPost["UPDATER_BUNDLE_SHA256"].Length);
        Assert.False(classPost.ContainsKey("UPDATER_MOUNT_POINT"));
        Assert.Equal("bundle:rootfs", ReadEnv(_box.Path("bundle-post.env"))["UPDATER_HOOK_SOURCE"]);
        // A hook for the whole install gets no single slot's variables; its environment is exactly the documented set.
        Assert.Equal(
            ["UPDATER_BOOTED_SLOT", "UPDATER_BUNDLE", "UPDATER_BUNDLE_COMPATIBLE", "UPDATER_BUNDLE_SECURITY_VERSION", "UPDATER_BUNDLE_SHA256", "UPDATER_BUNDLE_VERSION",
             "UPDATER_HOOK", "UPDATER_HOOK_SOURCE", "UPDATER_RESUMING", "UPDATER_SLOT_CLASSES", "UPDATER_TARGET_SLOT"],
            ReadEnv(_box.Path("pre.env")).Keys.Order(StringComparer.Ordinal));
        Assert.Equal("install-check", ReadEnv(_box.Path("check.env"))["UPDATER_HOOK"]);
        Assert.Equal("bundle", ReadEnv(_box.Path("check.env"))["UPDATER_HOOK_SOURCE"]);
        Assert.DoesNotContain(File.ReadAllLines(_box.Path("pre.env")), l => l.StartsWith("NOTIFY_SOCKET=", StringComparison.Ordinal) || l.StartsWith("JOURNAL_STREAM=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_post_install_hook_leaves_the_slot_written_not_activated_and_status_explains_it_until_a_rerun_passes()
    {
        string flag = _box.Path("migration-ok");
        string hook = Hook("post.sh", $"echo migrating /data to schema 7; [ -e {flag} ] || {{ echo 'schema 7 needs 40 MiB free, 12 MiB left' >&2; exit 4; }}");
        _box.AppendConfig($"[hooks.rootfs]\npost-install = {hook}");
        string bundle = await BundleAsync();
        var bootloader = new FakeBootloader();

        var e = await Assert.ThrowsAsync<HookFailedException>(() => InstallAsync(bundle, bootloader));

        Assert.Contains("the post-install hook ([hooks.rootfs]", e.Message, StringComparison.Ordinal);
        Assert.Contains("12 MiB left", e.Message, StringComparison.Ordinal);
        Assert.Equal(["bad B"], bootloader.Calls);
        Assert.Equal(TestDevice.Sha256Of(_box.Path("v2.0.0.img")), TestDevice.Sha256Of(_box.SlotB, 1 << 20));
        var journal = _state.ReadJournal()!;
        Assert.Equal("post-install", journal.FailedHook!.Hook);
        Assert.Equal(4, journal.FailedHook.ExitCode);
        Assert.Equal(["migrating /data to schema 7", "schema 7 needs 40 MiB free, 12 MiB left"], journal.FailedHook.Output.Split('\n').Order(StringComparer.Ordinal));
        Assert.Null(_state.ReadSlot(_box.Config.Slots.Find("rootfs", "B")!));
        var device = await _box.Device(bootloader).ReadAsync(CancellationToken.None);
        var problem = Assert.Single(DeviceStatus.From(device, DateTimeOffset.UnixEpoch).Problems, p => p.Contains("hook", StringComparison.Ordinal));
        Assert.Contains("wrote every image, but the post-install hook ([hooks.rootfs]", problem, StringComparison.Ordinal);
        Assert.Contains("slot B is not activated", problem, StringComparison.Ordinal);
        Assert.Contains("12 MiB left", problem, StringComparison.Ordinal);

        File.WriteAllText(flag, "");
        var result = await InstallAsync(bundle, bootloader);

        Assert.True(result.Resumed);
        Assert.Equal(0, result.WrittenBytes);
        Assert.Equal(["bad B", "bad B", "activate B Trial"], bootloader.Calls);
        Assert.Null(_state.ReadJournal());
    }

    [Fact]
    public async Task A_hung_hook_is_killed_with_its_children_at_its_timeout()
    {
        string pid = _box.Path("child.pid");
        string hook = Hook("hang.sh", $"sleep 120 & echo $! > {pid}; wait");
        _box.AppendConfig($"[hooks]\npre-install = {hook}\ntimeout = 1s");
        string bundle = await BundleAsync();
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<HookFailedException>(() => InstallAsync(bundle, new FakeBootloader()));

        Assert.Contains("timed out after 1 s and was killed", e.Message, StringComparison.Ordinal);
        Assert.Null(e.Failure.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        int child = int.Parse(File.ReadAllText(pid).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(await GoneAsync(child), $"the hook's child {child} outlived the hook");
    }

    /// <summary>Whether <paramref name="pid"/> is gone (or a zombie) within a few seconds: SIGKILL is delivered, not instant.</summary>
    private static async Task<bool> GoneAsync(int pid)
    {
        for (int i = 0; i < 50; i++)
        {
            try
            {
                if (File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (IOException)
            {
                return true;
            }
            await Task.Delay(100);
        }
        return false;
    }

    [Fact]
    public async Task An_interrupted_install_kills_its_running_hook_and_writes_nothing()
    {
        string started = _box.Path("started");
        string hook = Hook("slow.sh", $"echo $$ > {started}; exec sleep 120");
        _box.AppendConfig($"[hooks]\npre-install = {hook}");
        string bundle = await BundleAsync();
        string slotB = TestDevice.Sha256Of(_box.SlotB);
        var bootloader = new FakeBootloader();
        using var interrupt = new CancellationTokenSource();
        var install = InstallAsync(bundle, bootloader, cancellationToken: interrupt.Token);
        for (int i = 0; i < 300 && !(File.Exists(started) && File.ReadAllText(started).EndsWith('\n')); i++)
        {
            await Task.Delay(100);
        }
        interrupt.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => install);

        Assert.True(File.Exists(started), "the hook never started");
        int hookPid = int.Parse(File.ReadAllText(started).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(await GoneAsync(hookPid), $"the hook {hookPid} outlived the interrupted install");
        Assert.Empty(bootloader.Calls);
        Assert.Equal(slotB, TestDevice.Sha256Of(_box.SlotB));
    }

    [Theory]
    [InlineData(0b111_111_101, "writable by")]
    [InlineData(0b110_100_100, "could not be started")]
    public async Task A_hook_that_others_could_have_changed_or_that_cannot_run_is_refused_before_any_write(int mode, string expected)
    {
        string hook = Hook("pre.sh", "exit 0");
        File.SetUnixFileMode(hook, (UnixFileMode)mode);
        _box.AppendConfig($"[hooks]\npre-install = {hook}");
        string bundle = await BundleAsync();
        var bootloader = new FakeBootloader();

        var e = await Assert.ThrowsAsync<HookFailedException>(() => InstallAsync(bundle, bootloader));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Empty(bootloader.Calls);
    }

    [Fact]
    public async Task A_missing_hook_program_is_refused_naming_its_section()
    {
        _box.AppendConfig($"[hooks]\npre-install = {_box.Path("nowhere.sh")}");
        string bundle = await BundleAsync();
        var e = await Assert.ThrowsAsync<HookFailedException>(() => InstallAsync(bundle, new FakeBootloader()));
        Assert.Contains("does not exist (", e.Message, StringComparison.Ordinal);
        Assert.Contains("update.conf:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bundles_install_check_can_refuse_it_before_any_write()
    {
        string bundle = await BundleAsync(new BundleHooks
        {
            InstallCheck = new BundleHookScript { Script = "#!/bin/sh\n[ \"$UPDATER_BOOTED_SLOT\" = A ] && { echo 'this release needs bootloader 2024.10, found 2023.01' >&2; exit 1; }\nexit 0\n" },
        });
        var bootloader = new FakeBootloader();
        string slotB = TestDevice.Sha256Of(_box.SlotB);

        var e = await Assert.ThrowsAsync<HookFailedException>(() => InstallAsync(bundle, bootloader));

        Assert.Contains("the install-check hook (bundle, /bin/sh) exited with status 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("needs bootloader 2024.10", e.Message, StringComparison.Ordinal);
        Assert.Empty(bootloader.Calls);
        Assert.Equal(slotB, TestDevice.Sha256Of(_box.SlotB));
        // The script's private copy is gone.
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetTempPath(), "updater-hook-*"),
            d => File.Exists(Path.Combine(d, "install-check")) && File.ReadAllText(Path.Combine(d, "install-check")).Contains("2024.10", StringComparison.Ordinal));
    }

    [RootFact]
    public async Task A_post_install_hook_that_asks_for_it_reads_the_new_image_mounted_read_only()
    {
        string tree = _box.Path("tree");
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        File.WriteAllText(Path.Combine(tree, "etc", "os-release"), "VERSION_ID=2.0.0\n");
        string image = _box.Path("v2.0.0.img");
        var mkfs = await ProcessRunner.RunAsync("mkfs.ext4", "-q", "-F", "-d", tree, "-b", "1024", image, "2M");
        Assert.True(mkfs.ExitCode == 0, mkfs.Stderr);
        string bundle = _box.Path("v2.bundle");
        string seen = _box.Path("seen");
        await new BundleWriter(new BundleCreateRequest
        {
            Images = [new BundleImageInput("rootfs", image)],
            Compatible = TestDevice.Compatible,
            Version = "2.0.0",
            SecurityVersion = 0,
            ChunkSize = 64 * 1024,
            Hooks = new BundleHooks
            {
                PostInstall = new Dictionary<string, BundleHookScript>
                {
                    ["rootfs"] = new() { Script = $"#!/bin/sh\ncat \"$UPDATER_MOUNT_POINT/etc/os-release\" > {seen}.bundle\n", Mount = true },
                },
            },
        }, [_box.Key]).WriteAsync(bundle, null, CancellationToken.None);
        string hook = Hook("post.sh", $"echo \"$UPDATER_MOUNT_POINT\" > {seen}.where; cat \"$UPDATER_MOUNT_POINT/etc/os-release\" > {seen}; touch \"$UPDATER_MOUNT_POINT/x\" 2> {seen}.write || true");
        _box.AppendConfig($"[hooks.rootfs]\npost-install = {hook}\nmount = yes");
        string slotB = TestDevice.Sha256Of(image);

        await InstallAsync(bundle, new FakeBootloader());

        Assert.Equal("VERSION_ID=2.0.0\n", File.ReadAllText(seen));
        Assert.Equal("VERSION_ID=2.0.0\n", File.ReadAllText(seen + ".bundle"));
        Assert.Contains("Read-only file system", File.ReadAllText(seen + ".write"), StringComparison.Ordinal);
        string where = File.ReadAllText(seen + ".where").Trim();
        Assert.False(Directory.Exists(where), $"{where} is still there");
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mounts"), l => l.Contains(where, StringComparison.Ordinal));
        Assert.Equal(slotB, TestDevice.Sha256Of(_box.SlotB, new FileInfo(image).Length));
    }

    [RootFact]
    public async Task An_image_that_cannot_be_mounted_for_its_hook_leaves_the_slot_unactivated_and_says_so()
    {
        string hook = Hook("post.sh", "exit 0");
        _box.AppendConfig($"[hooks.rootfs]\npost-install = {hook}\nmount = yes");
        string bundle = await BundleAsync();
        var bootloader = new FakeBootloader();

        var e = await Assert.ThrowsAsync<HookFailedException>(() => InstallAsync(bundle, bootloader));

        Assert.Contains("could not be mounted read-only for it: /bin/mount", e.Message, StringComparison.Ordinal);
        Assert.Equal(["bad B"], bootloader.Calls);
        Assert.Contains("could not be mounted", _state.ReadJournal()!.FailedHook!.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mounts"), l => l.Contains("updater-image-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_hook_behind_a_symlink_runs_its_target_and_a_target_others_can_write_is_refused()
    {
        string log = _box.Path("ran");
        string target = Hook("real-pre.sh", $"echo \"$0\" > {log}");
        string link = _box.Path("pre-link");
        File.CreateSymbolicLink(link, target);
        _box.AppendConfig($"[hooks]\npre-install = {link}");
        string bundle = await BundleAsync();

        await InstallAsync(bundle, new FakeBootloader());
        Assert.Equal(target, File.ReadAllText(log).Trim());

        string untrusted = _box.Path("shared");
        Directory.CreateDirectory(untrusted);
        File.SetUnixFileMode(untrusted, (UnixFileMode)0b111_111_111);
        string other = Path.Combine(untrusted, "pre.sh");
        File.Copy(target, other);
        File.Delete(link);
        File.CreateSymbolicLink(link, other);
        var bootloader = new FakeBootloader();
        string v3 = await BundleAsync(version: "3.0.0");
        var e = await Assert.ThrowsAsync<HookFailedException>(() => InstallAsync(v3, bootloader));
        Assert.Contains("was not run", e.Message, StringComparison.Ordinal);
        Assert.Contains(untrusted, e.Message, StringComparison.Ordinal);
        Assert.Empty(bootloader.Calls);
    }

    [Fact]
    public async Task A_bundle_script_whose_interpreter_is_not_on_the_device_is_refused_before_any_write()
    {
        string bundle = await BundleAsync(new BundleHooks { InstallCheck = new BundleHookScript { Script = "#!/opt/vendor/bin/python9\nprint('ok')\n" } });
        var bootloader = new FakeBootloader();
        var e = await Assert.ThrowsAsync<HookFailedException>(() => InstallAsync(bundle, bootloader));
        Assert.Contains("its interpreter /opt/vendor/bin/python9 does not exist on this device", e.Message, StringComparison.Ordinal);
        Assert.Empty(bootloader.Calls);
    }
}
