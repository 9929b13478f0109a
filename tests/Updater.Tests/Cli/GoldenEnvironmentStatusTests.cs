// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Updater.Tests.Support;

namespace Updater.Tests.Cli;

/// <summary>
/// The golden environments of fixtures/env, made by grub-editenv and by mkenvimage/fw_setenv (fixtures/README.md),
/// read by our backends through `updater status --json` with the reference configurations of fixtures/config.
/// Both hold one state: B on a trial of three boots with one counted, A committed and second. The expected
/// values are that state as written down when the files were made, not what the code computes.
/// </summary>
public sealed class GoldenEnvironmentStatusTests : IDisposable
{
    private readonly TestDevice _device = new(slotSize: 1 << 20);

    public void Dispose() => _device.Dispose();

    [Theory]
    [InlineData("grub", "grubenv.golden")]
    [InlineData("uboot", "uboot.env.golden")]
    public async Task A_golden_environment_reads_as_the_state_it_was_made_in(string backend, string golden)
    {
        File.WriteAllText(_device.ConfigPath, _device.ConfigText(backend: backend));
        File.Copy(RepositoryPaths.Fixture("env/" + golden), backend == "grub" ? _device.GrubEnv : _device.UBootEnv, overwrite: true);

        var status = JsonDocument.Parse((await UpdaterProcess.ExpectAsync(0, "--config", _device.ConfigPath, "--booted-slot", "B", "status", "--json")).Stdout).RootElement;

        Assert.Equal(backend, status.GetProperty("bootloader").GetString());
        Assert.Equal("B", status.GetProperty("next_boot").GetString());
        Assert.Equal(["B", "A"], status.GetProperty("boot_order").EnumerateArray().Select(e => e.GetString()));
        var slots = status.GetProperty("slots").EnumerateArray().ToDictionary(s => s.GetProperty("bootname").GetString()!);
        Assert.Equal("True  False", BootView(slots["A"]));
        Assert.Equal("True 2 True", BootView(slots["B"]));
    }

    /// <summary>good, tries left (empty for a committed slot, whose boots are not counted), on trial.</summary>
    private static string BootView(JsonElement slot) =>
        $"{slot.GetProperty("boot_good").GetBoolean()} {(slot.TryGetProperty("boot_tries_left", out var left) && left.ValueKind == JsonValueKind.Number ? left.GetInt32() : "")} {slot.GetProperty("boot_trial").GetBoolean()}";
}
