// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Definitions;
using HealthCheck.Running;

namespace HealthCheck.Tests.Checks;

/// <summary>HTTP checks against a real server on loopback.</summary>
public sealed class HttpCheckTests : IDisposable
{
    private readonly LoopbackHttpServer _server = new();

    [Fact]
    public async Task A_200_passes()
    {
        var result = await CheckAsync(_server.Url("/ok"));

        Assert.True(result.Passed, result.Reason);
        Assert.Equal(1, _server.Requests);
    }

    [Fact]
    public async Task Any_2xx_passes()
    {
        var result = await CheckAsync(_server.Url("/no-content"));

        Assert.True(result.Passed, result.Reason);
    }

    [Fact]
    public async Task A_503_fails_with_the_status()
    {
        var result = await CheckAsync(_server.Url("/unavailable"));

        Assert.False(result.Passed);
        Assert.Equal($"GET {_server.Url("/unavailable")} answered 503 Service Unavailable, expected 200-299", result.Reason);
    }

    [Fact]
    public async Task A_redirect_is_an_answer_that_is_not_2xx_and_is_not_followed()
    {
        var result = await CheckAsync(_server.Url("/moved"));

        Assert.False(result.Passed);
        Assert.Contains("answered 302", result.Reason, StringComparison.Ordinal);
        Assert.Equal(1, _server.Requests);
    }

    [Fact]
    public async Task A_configured_status_range_decides_instead_of_2xx()
    {
        var moved = await CheckAsync(_server.Url("/moved"), new HttpStatusRange(200, 399));
        var ok = await CheckAsync(_server.Url("/ok"), new HttpStatusRange(204, 204));

        Assert.True(moved.Passed, moved.Reason);
        Assert.False(ok.Passed);
        Assert.EndsWith("answered 200 OK, expected 204", ok.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_nobody_listens_on_fails_with_the_connection_error()
    {
        var url = $"http://127.0.0.1:{LoopbackHttpServer.FreePort()}/health";

        var result = await CheckAsync(url);

        Assert.False(result.Passed);
        Assert.StartsWith($"GET {url} failed: Connection refused", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_fails_at_the_deadline_and_each_retry_asks_again()
    {
        var clock = new WatchedFakeTimeProvider();
        var check = new HealthCheckDefinition("web", HealthCheckKind.Http, _server.Url("/hang"), "web.conf:3")
        {
            Timeout = TimeSpan.FromSeconds(5),
            Retries = 1,
            RetryDelay = TimeSpan.FromSeconds(1),
        };
        var run = new HealthRunner(new HealthRunnerOptions(), clock).RunAsync([check]);

        await clock.NextArmedTimerAsync(); // the overall deadline
        Assert.Equal(TimeSpan.FromSeconds(5), await clock.NextArmedTimerAsync());
        await _server.WaitForRequestsAsync(1); // the request is in, and hangs
        clock.Advance(TimeSpan.FromSeconds(5));
        await clock.AdvanceToNextTimerAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(5), await clock.NextArmedTimerAsync());
        await _server.WaitForRequestsAsync(2);
        clock.Advance(TimeSpan.FromSeconds(5));
        var result = Assert.Single((await run).Checks);

        Assert.False(result.Passed);
        Assert.Equal("no answer within 5 s", result.Reason);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(11), result.Duration);
        Assert.Equal(2, _server.Requests);
    }

    public void Dispose() => _server.Dispose();

    private static async Task<HealthCheckResult> CheckAsync(string url, HttpStatusRange? expected = null)
    {
        var check = new HealthCheckDefinition("web", HealthCheckKind.Http, url, "web.conf:1")
        {
            ExpectedStatus = expected ?? HttpStatusRange.Success,
        };
        return Assert.Single((await new HealthRunner().RunAsync([check])).Checks);
    }
}
