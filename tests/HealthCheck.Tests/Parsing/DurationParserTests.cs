// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Parsing;

namespace HealthCheck.Tests.Parsing;

public sealed class DurationParserTests
{
    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("2min", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("30", 30_000)]
    [InlineData(" 10 s ", 10_000)]
    [InlineData("0", 0)]
    [InlineData("1d", 86_400_000)]
    public void Accepted_forms(string text, double milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("-1s")]
    [InlineData("2d")]
    [InlineData("1s30")]
    [InlineData("25h")]
    [InlineData("1e3s")]
    public void Rejected_forms(string text)
    {
        Assert.False(DurationParser.TryParse(text, out _));
    }

    /// <summary>update.conf's longer keys ([channel] poll-interval up to 7 days) pass their own ceiling.</summary>
    [Fact]
    public void A_caller_sets_the_ceiling()
    {
        Assert.True(DurationParser.TryParse("6d", out var week, TimeSpan.FromDays(7)));
        Assert.Equal(TimeSpan.FromDays(6), week);
        Assert.False(DurationParser.TryParse("8d", out _, TimeSpan.FromDays(7)));
        Assert.True(DurationParser.TryParse("500ms", out var half, TimeSpan.FromDays(7)));
        Assert.Equal(TimeSpan.FromMilliseconds(500), half);
    }
}
