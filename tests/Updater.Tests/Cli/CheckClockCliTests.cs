// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Updater.Fleet;
using Updater.Tests.Support;

namespace Updater.Tests.Cli;

/// <summary>`updater check` and `updater status` through the real executable say when the clock was corrected.</summary>
public sealed class CheckClockCliTests : IDisposable
{
    private readonly TestDevice _box = new();

    public void Dispose() => _box.Dispose();

    [Fact]
    public async Task Check_and_status_report_a_clock_behind_the_newest_signed_time()
    {
        // A channel issued in 2099: whatever the machine's clock says today, it is behind that.
        var issued = new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero);
        string channel = _box.Path("stable.channel");
        File.WriteAllBytes(channel, TestChannels.Sign(TestChannels.Document(version: 1, issued: issued, expires: issued.AddDays(30), waves: [new RolloutWave(100, issued.AddDays(1))]), _box.Key));
        _box.AppendConfig($"[channel]\nname = stable\nurl = {channel}\nmachine-id-file = {_box.MachineIdFile}\n");

        var text = await UpdaterProcess.ExpectAsync(0, "--config", _box.ConfigPath, "check");
        Assert.Contains("clock: the device clock says ", text.Stdout, StringComparison.Ordinal);
        Assert.Contains(", the newest signed time is 2099-01-01T00:00Z from channel 'stable' version 1 (issued): using 2099-01-01T00:00Z", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("the rollout of 2.1.0 starts at 2099-01-02T00:00Z", text.Stdout, StringComparison.Ordinal);

        var json = JsonDocument.Parse((await UpdaterProcess.ExpectAsync(0, "--config", _box.ConfigPath, "check", "--json")).Stdout).RootElement;
        Assert.Equal(issued, json.GetProperty("now").GetDateTimeOffset());
        Assert.EndsWith("using 2099-01-01T00:00Z", json.GetProperty("clock_correction").GetString(), StringComparison.Ordinal);

        var status = await UpdaterProcess.ExpectAsync(0, "--config", _box.ConfigPath, "status");
        Assert.Contains("clock:       the device clock says ", status.Stdout, StringComparison.Ordinal);
        var statusJson = JsonDocument.Parse((await UpdaterProcess.ExpectAsync(0, "--config", _box.ConfigPath, "status", "--json")).Stdout).RootElement;
        Assert.Contains("2099-01-01T00:00Z from channel 'stable' version 1", statusJson.GetProperty("clock_correction").GetString(), StringComparison.Ordinal);
    }
}
