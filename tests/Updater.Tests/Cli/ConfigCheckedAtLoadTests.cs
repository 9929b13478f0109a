// SPDX-License-Identifier: Apache-2.0
using Updater.Tests.Support;

namespace Updater.Tests.Cli;

/// <summary>
/// Through the real executable: a configuration the bootloader cannot work with stops every command with exit 3
/// and a "file:line" message, before any bootloader write, instead of an internal error with a stack trace.
/// </summary>
public sealed class ConfigCheckedAtLoadTests : IDisposable
{
    private readonly TestDevice _box = new(slotSize: 1 << 20);

    public void Dispose() => _box.Dispose();

    [Theory]
    [InlineData("status")]
    [InlineData("mark-bad", "system0")]
    public async Task A_bootname_the_bootloader_cannot_boot_is_a_config_error(params string[] command)
    {
        File.WriteAllText(_box.ConfigPath, _box.ConfigText().Replace("bootname = B", "bootname = system0", StringComparison.Ordinal)
            .Replace("booted-slot = A", "", StringComparison.Ordinal));
        byte[] before = File.ReadAllBytes(_box.GrubEnv);

        var (code, _, stderr) = await UpdaterProcess.RunAsync(["--config", _box.ConfigPath, "--booted-slot", "A", .. command]);

        Assert.True(code == (int)ExitCode.Config, $"exit {code}: {stderr}");
        Assert.Contains(_box.ConfigPath + ":", stderr, StringComparison.Ordinal);
        Assert.Contains("bootname", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(_box.GrubEnv));
    }
}
