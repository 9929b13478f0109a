// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using Updater.State;
using Updater.Tests.Support;

namespace Updater.Tests.Install;

/// <summary>
/// Invariant 3: kill -9 the real installer at many points of a real install (GRUB environment, file-backed
/// slots). After every kill the booted slot is untouched and GRUB would boot a slot that worked; rerunning
/// the same command finishes the job.
/// </summary>
public sealed class CrashTests : IAsyncLifetime, IDisposable
{
    private const long ImageSize = 40L << 20;
    private readonly TestDevice _box = new(slotSize: ImageSize + (1 << 20));
    private string _image = "";
    private string _bundle = "";
    private string _imageHash = "";
    private string _slotAHash = "";

    public async Task InitializeAsync()
    {
        _image = _box.MakeImage("v2.img", ImageSize, seed: 31);
        _imageHash = TestDevice.Sha256Of(_image);
        _bundle = await _box.MakeBundleAsync("v2.bundle", _image, chunkSize: 64 * 1024);
        _slotAHash = TestDevice.Sha256Of(_box.SlotA);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _box.Dispose();

    [Fact]
    public async Task Killed_at_many_points_the_device_stays_bootable_and_a_rerun_completes()
    {
        var outcomes = new List<string>();
        // Kill after the Nth progress line (10 %, 20 %, ...) and at fixed delays that land in the early
        // phases (verification, marking bad, journal) and the late ones (records, the bootloader switch).
        var killPoints = Enumerable.Range(1, 9).Select(n => (Lines: n, DelayMs: 0))
            .Concat(new[] { 0, 40, 80, 120, 160, 200, 260, 330, 420, 540, 700 }.Select(ms => (Lines: 0, DelayMs: ms)));
        foreach (var (lines, delay) in killPoints)
        {
            outcomes.Add(await KillInstallAsync(lines, delay));
            AssertSafe();
        }

        var (code, stdout, stderr) = await UpdaterProcess.RunAsync("--config", _box.ConfigPath, "install", "--json", _bundle);
        Assert.True(code == 0, $"rerun failed ({code}): {stderr}");
        Assert.Equal(_imageHash, TestDevice.Sha256Of(_box.SlotB, ImageSize));
        Assert.Equal(_slotAHash, TestDevice.Sha256Of(_box.SlotA));
        var env = new GrubEnvFile(_box.GrubEnv).List();
        Assert.Equal("B A", env["ORDER"]);
        Assert.Equal("1", env["B_OK"]);
        Assert.NotEqual("0", env["B_TRIAL"]);
        // The kills really landed in different phases: some mid-write (a journal was left), not all at the end.
        Assert.Contains(outcomes, o => o == "journal");
        Assert.Contains("\"target_bootname\": \"B\"", stdout, StringComparison.Ordinal);
    }

    /// <summary>After any kill: A untouched; if GRUB would boot B, B is complete, recorded and verified.</summary>
    private void AssertSafe()
    {
        Assert.Equal(_slotAHash, TestDevice.Sha256Of(_box.SlotA));
        var env = new GrubEnvFile(_box.GrubEnv).List();
        bool bBootable = env.GetValueOrDefault("B_OK") == "1";
        var state = new StateDirectory(_box.StateDir);
        var record = state.ReadSlot(_box.Config.Slots.Find("rootfs", "B")!);
        if (bBootable)
        {
            // The journal may outlive the commit point (a kill between the activation and its deletion): what
            // counts is that the record and the image are complete before the bootloader may boot B.
            Assert.NotNull(record);
            Assert.Equal(_imageHash, TestDevice.Sha256Of(_box.SlotB, ImageSize));
        }
        Assert.Equal("1", env.GetValueOrDefault("A_OK", "1"));
    }

    private async Task<string> KillInstallAsync(int progressLines, int delayMs)
    {
        using var process = Process.Start(UpdaterProcess.StartInfo("--config", _box.ConfigPath, "install", _bundle))!;
        _ = process.StandardOutput.ReadToEndAsync();
        if (progressLines > 0)
        {
            for (int seen = 0; seen < progressLines;)
            {
                string? line = await process.StandardError.ReadLineAsync();
                if (line is null)
                {
                    break;
                }
                if (line.StartsWith("writing", StringComparison.Ordinal) || line.StartsWith("checking", StringComparison.Ordinal))
                {
                    seen++;
                }
            }
        }
        else
        {
            _ = process.StandardError.ReadToEndAsync();
            await Task.Delay(delayMs);
        }
        bool killed = !process.HasExited;
        if (killed)
        {
            process.Kill();
        }
        await process.WaitForExitAsync();
        var state = new StateDirectory(_box.StateDir);
        return !killed ? "finished" : state.ReadJournal() is not null ? "journal" : "other";
    }
}
