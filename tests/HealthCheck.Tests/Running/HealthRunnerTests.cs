// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Checks;
using HealthCheck.Definitions;
using HealthCheck.Running;

namespace HealthCheck.Tests.Running;

/// <summary>The runner's own logic: verdict, parallelism, deadlines, backoff, on a fake clock with scripted probes.</summary>
public sealed class HealthRunnerTests
{
    private static readonly Task<ProbeResult> Passes = Task.FromResult(ProbeResult.Pass());
    private static readonly Task<ProbeResult> Fails = Task.FromResult(ProbeResult.Fail("broken"));

    [Fact]
    public async Task Required_failures_fail_the_verdict_and_wanted_ones_only_warn()
    {
        var probes = new ScriptedProbes().On("good", (_, _) => Passes).On("bad", (_, _) => Fails);

        var allGood = await RunAsync(probes, Check("a", "good"), Check("b", "good"));
        var wantedBad = await RunAsync(probes, Check("a", "good"), Check("b", "bad") with { Required = false });
        var requiredBad = await RunAsync(probes, Check("a", "good"), Check("b", "bad"));

        Assert.Equal(HealthVerdict.Pass, allGood.Verdict);
        Assert.Equal(HealthVerdict.Pass, wantedBad.Verdict);
        Assert.False(wantedBad.Checks[1].Passed);
        Assert.Equal("broken", wantedBad.Checks[1].Reason);
        Assert.Equal(HealthVerdict.Fail, requiredBad.Verdict);
    }

    [Fact]
    public async Task No_checks_pass()
    {
        var report = await RunAsync(new ScriptedProbes());

        Assert.Equal(HealthVerdict.Pass, report.Verdict);
        Assert.Empty(report.Checks);
    }

    [Fact]
    public async Task Results_keep_the_order_and_identity_of_the_definitions()
    {
        var probes = new ScriptedProbes().On("x", (_, _) => Passes).On("http://y/", (_, _) => Fails);
        var first = new HealthCheckDefinition("first", HealthCheckKind.Http, "http://y/", "/etc/updater/health.d/10-a.conf:7") { Required = false };
        var second = new HealthCheckDefinition("second", HealthCheckKind.Mount, "x", "/etc/updater/health.d/20-b.conf:1");

        var report = await RunAsync(probes, first, second);

        Assert.Equal(
            [
                new HealthCheckResult("first", HealthCheckKind.Http, "http://y/", "/etc/updater/health.d/10-a.conf:7", false, false, 1, TimeSpan.Zero, "broken"),
                new HealthCheckResult("second", HealthCheckKind.Mount, "x", "/etc/updater/health.d/20-b.conf:1", true, true, 1, TimeSpan.Zero, null),
            ],
            report.Checks);
    }

    [Fact]
    public async Task Checks_run_at_the_same_time()
    {
        // Each probe waits for the other to have started: run one after the other, they would never finish.
        var aStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var probes = new ScriptedProbes()
            .On("a", async (_, token) => { aStarted.SetResult(); await bStarted.Task.WaitAsync(token); return ProbeResult.Pass(); })
            .On("b", async (_, token) => { bStarted.SetResult(); await aStarted.Task.WaitAsync(token); return ProbeResult.Pass(); });

        var report = await RunAsync(probes, Check("a", "a"), Check("b", "b")).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(HealthVerdict.Pass, report.Verdict);
    }

    [Fact]
    public async Task Each_attempt_has_the_deadline_and_retries_wait_twice_as_long_each_time()
    {
        var clock = new WatchedFakeTimeProvider();
        var probes = new ScriptedProbes().On("hang", (_, token) => ScriptedProbes.Hang(token));
        var check = Check("hung", "hang") with { Timeout = TimeSpan.FromSeconds(30), Retries = 3, RetryDelay = TimeSpan.FromSeconds(2) };
        var run = new HealthRunner(new HealthRunnerOptions(), clock, probes).RunAsync([check]);

        Assert.Equal(TimeSpan.FromMinutes(5), await clock.NextArmedTimerAsync()); // the overall deadline
        await clock.AdvanceToNextTimerAsync(TimeSpan.FromSeconds(30));
        await clock.AdvanceToNextTimerAsync(TimeSpan.FromSeconds(2));
        await clock.AdvanceToNextTimerAsync(TimeSpan.FromSeconds(30));
        await clock.AdvanceToNextTimerAsync(TimeSpan.FromSeconds(4));
        await clock.AdvanceToNextTimerAsync(TimeSpan.FromSeconds(30));
        await clock.AdvanceToNextTimerAsync(TimeSpan.FromSeconds(8));
        await clock.AdvanceToNextTimerAsync(TimeSpan.FromSeconds(30));
        var report = await run;

        var result = Assert.Single(report.Checks);
        Assert.False(result.Passed);
        Assert.Equal(4, result.Attempts);
        Assert.Equal("no answer within 30 s", result.Reason);
        Assert.Equal(TimeSpan.FromSeconds(134), result.Duration);
        Assert.Equal(TimeSpan.FromSeconds(134), report.Duration);
        Assert.Equal(HealthVerdict.Fail, report.Verdict);
    }

    [Fact]
    public async Task The_wait_between_attempts_stops_growing_at_the_maximum()
    {
        var clock = new WatchedFakeTimeProvider();
        var probes = new ScriptedProbes().On("bad", (_, _) => Fails);
        var check = Check("c", "bad") with { Retries = 2, RetryDelay = TimeSpan.FromSeconds(40) };
        var run = new HealthRunner(new HealthRunnerOptions(), clock, probes).RunAsync([check]);

        await clock.NextArmedTimerAsync(); // the overall deadline
        await clock.NextArmedTimerAsync(); // attempt 1's deadline; the attempt fails at once
        await clock.AdvanceToNextTimerAsync(TimeSpan.FromSeconds(40));
        await clock.NextArmedTimerAsync();
        await clock.AdvanceToNextTimerAsync(HealthRunner.MaxRetryDelay); // 80 s, capped to 60 s
        var result = Assert.Single((await run).Checks);

        Assert.Equal(3, result.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(100), result.Duration);
    }

    [Fact]
    public async Task A_check_that_recovers_passes_with_the_attempts_it_took()
    {
        var probes = new ScriptedProbes().On("flaky", (attempt, _) => attempt < 3 ? Fails : Passes);
        var check = Check("c", "flaky") with { Retries = 5, RetryDelay = TimeSpan.Zero };

        var result = Assert.Single((await RunAsync(probes, check)).Checks);

        Assert.True(result.Passed);
        Assert.Equal(3, result.Attempts);
        Assert.Null(result.Reason);
    }

    [Fact]
    public async Task An_exception_in_a_probe_is_a_failed_attempt_with_its_message()
    {
        var probes = new ScriptedProbes().On("throws", (_, _) => throw new IOException("disk on fire"));
        var check = Check("c", "throws") with { Retries = 1, RetryDelay = TimeSpan.Zero };

        var result = Assert.Single((await RunAsync(probes, check)).Checks);

        Assert.False(result.Passed);
        Assert.Equal(2, result.Attempts);
        Assert.Equal("disk on fire", result.Reason);
    }

    [Fact]
    public async Task The_overall_deadline_stops_a_check_still_retrying_and_says_what_failed_before()
    {
        var clock = new WatchedFakeTimeProvider();
        var probes = new ScriptedProbes().On("hang", (_, token) => ScriptedProbes.Hang(token)).On("good", (_, _) => Passes);
        var hung = Check("hung", "hang") with { Timeout = TimeSpan.FromSeconds(50), Retries = 5, RetryDelay = TimeSpan.FromSeconds(20) };
        var options = new HealthRunnerOptions { OverallTimeout = TimeSpan.FromSeconds(60) };
        var run = new HealthRunner(options, clock, probes).RunAsync([Check("fine", "good"), hung]);

        var armed = new List<TimeSpan> { await clock.NextArmedTimerAsync(), await clock.NextArmedTimerAsync(), await clock.NextArmedTimerAsync() };
        // The overall deadline and both checks' attempt deadlines, in whatever order the checks started.
        Assert.Equal([TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(60)], armed.Order());
        clock.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(TimeSpan.FromSeconds(20), await clock.NextArmedTimerAsync()); // the hung check waits to retry
        clock.Advance(TimeSpan.FromSeconds(10));
        var report = await run;

        Assert.Equal(HealthVerdict.Fail, report.Verdict);
        Assert.True(report.Checks[0].Passed);
        Assert.False(report.Checks[1].Passed);
        Assert.Equal("stopped by the overall deadline of 60 s; before that: no answer within 50 s", report.Checks[1].Reason);
        Assert.Equal(1, report.Checks[1].Attempts);
        Assert.Equal(TimeSpan.FromSeconds(60), report.Duration);
    }

    [Fact]
    public async Task Cancelling_the_run_abandons_it()
    {
        var probes = new ScriptedProbes().On("hang", (_, token) => ScriptedProbes.Hang(token));
        using var cancel = new CancellationTokenSource();
        var run = new HealthRunner(new HealthRunnerOptions(), TimeProvider.System, probes).RunAsync([Check("c", "hang")], cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Theory]
    [InlineData("dup")]
    [InlineData("timeout")]
    [InlineData("retries")]
    [InlineData("url")]
    public async Task An_unusable_definition_is_refused_naming_its_source(string problem)
    {
        var good = Check("a", "x");
        var bad = problem switch
        {
            "dup" => Check("a", "y") with { Source = "/etc/updater/health.d/20-b.conf:9" },
            "timeout" => Check("b", "y") with { Source = "/etc/updater/health.d/20-b.conf:9", Timeout = TimeSpan.Zero },
            "retries" => Check("b", "y") with { Source = "/etc/updater/health.d/20-b.conf:9", Retries = -1 },
            _ => new HealthCheckDefinition("b", HealthCheckKind.Http, "not a url", "/etc/updater/health.d/20-b.conf:9"),
        };

        var error = await Assert.ThrowsAsync<InvalidHealthCheckException>(() => RunAsync(new ScriptedProbes(), good, bad));

        Assert.StartsWith("/etc/updater/health.d/20-b.conf:9: ", error.Message, StringComparison.Ordinal);
    }

    private static HealthCheckDefinition Check(string name, string target) =>
        new(name, HealthCheckKind.Command, target, $"{name}.conf:1");

    private static Task<HealthReport> RunAsync(ScriptedProbes probes, params HealthCheckDefinition[] checks) =>
        new HealthRunner(new HealthRunnerOptions(), new WatchedFakeTimeProvider(), probes).RunAsync(checks);
}
