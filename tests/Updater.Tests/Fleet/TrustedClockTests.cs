// SPDX-License-Identifier: Apache-2.0
using Updater.Clock;
using Updater.State;
using Updater.Tests.Support;

namespace Updater.Tests.Fleet;

/// <summary>The clock's own rules: raised only, persisted atomically and read strictly, process floors not stored.</summary>
public sealed class TrustedClockTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StateDirectory State => new(_dir.Root);

    private TrustedClock Clock(DateTimeOffset wall, ClockMode mode = ClockMode.Wall) => new(State, new WatchedFakeTimeProvider(wall), mode);

    [Fact]
    public async Task An_observed_time_is_kept_across_instances_and_only_raised()
    {
        var t = TestChannels.T0;
        await Clock(t).ObserveAsync(t.AddDays(5), "channel 'stable' version 2 (issued)", CancellationToken.None);
        await Clock(t).ObserveAsync(t.AddDays(1), "older", CancellationToken.None);

        var reading = Clock(t).Read();
        Assert.Equal(t.AddDays(5), reading.Now);
        Assert.Equal("channel 'stable' version 2 (issued)", reading.Newest!.Source);
        Assert.True(reading.Corrected);
        Assert.Equal(t.AddDays(9), Clock(t.AddDays(9)).GetUtcNow());
        Assert.Null(Clock(t.AddDays(9)).Read().Correction);
    }

    [Fact]
    public void A_process_floor_counts_but_is_not_stored()
    {
        var clock = Clock(DateTimeOffset.UnixEpoch);
        clock.AddFloor(TestChannels.T0, "image build time");

        Assert.Equal(TestChannels.T0, clock.GetUtcNow());
        Assert.Contains("from image build time", clock.Read().Correction, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Root, "clock.json")));
        Assert.Equal(DateTimeOffset.UnixEpoch, Clock(DateTimeOffset.UnixEpoch).GetUtcNow());
    }

    [Fact]
    public void Signed_time_only_has_no_time_before_the_first_signed_one()
    {
        var clock = Clock(TestChannels.T0, ClockMode.Signed);
        Assert.Equal(DateTimeOffset.UnixEpoch, clock.GetUtcNow());
        clock.AddFloor(TestChannels.T0.AddDays(-3), "image build time");
        Assert.Equal(TestChannels.T0.AddDays(-3), clock.GetUtcNow());
    }

    [Theory]
    [InlineData("""{"time":"2026-12-01T00:00:00+00:00","source":"a","time":"2099-01-01T00:00:00+00:00"}""", "Duplicate property 'time'")]
    [InlineData("not json", "state file is corrupt")]
    public void A_corrupt_clock_file_is_an_error_naming_it(string content, string expected)
    {
        File.WriteAllText(Path.Combine(_dir.Root, "clock.json"), content);

        var error = Assert.Throws<UpdaterException>(() => Clock(TestChannels.T0).Read());

        Assert.Equal(ExitCode.Io, error.ExitCode);
        Assert.Contains("clock.json", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
