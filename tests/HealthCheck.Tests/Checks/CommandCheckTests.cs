// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Definitions;
using HealthCheck.Running;

namespace HealthCheck.Tests.Checks;

/// <summary>Command checks run real processes through /bin/sh.</summary>
public sealed class CommandCheckTests : IDisposable
{
    private readonly TempDirectory _directory = new("command-check-");

    [Fact]
    public async Task A_command_that_exits_0_passes()
    {
        var result = await CheckAsync("test -d / && echo fine | grep -q fine");

        Assert.True(result.Passed, result.Reason);
        Assert.Equal(1, result.Attempts);
    }

    [Fact]
    public async Task A_command_that_exits_non_zero_fails_with_its_status_and_last_output()
    {
        var result = await CheckAsync("echo starting; echo 'database not reachable' >&2; exit 3");

        Assert.False(result.Passed);
        Assert.Equal("command exited with status 3: starting database not reachable", result.Reason);
    }

    [Fact]
    public async Task Only_the_tail_of_a_chatty_commands_output_is_kept()
    {
        var result = await CheckAsync("seq 1 100000; echo last words; exit 1");

        Assert.False(result.Passed);
        Assert.EndsWith("99999 100000 last words", result.Reason, StringComparison.Ordinal);
        Assert.True(result.Reason!.Length < 600, $"reason of {result.Reason.Length} characters");
    }

    [Fact]
    public async Task A_command_that_does_not_exist_fails_with_the_shells_reason()
    {
        var result = await CheckAsync("/no/such/tool --check");

        Assert.False(result.Passed);
        Assert.StartsWith("command exited with status 127: ", result.Reason, StringComparison.Ordinal);
        Assert.Contains("/no/such/tool", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_that_outlives_its_deadline_fails_and_is_killed()
    {
        var pidFile = Path.Combine(_directory.Root, "pid");
        var clock = new WatchedFakeTimeProvider();
        var check = new HealthCheckDefinition("hangs", HealthCheckKind.Command, $"echo $$ > {pidFile}; exec sleep 600", "hang.conf:1")
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        var run = new HealthRunner(new HealthRunnerOptions(), clock).RunAsync([check]);

        await clock.NextArmedTimerAsync(); // the overall deadline
        Assert.Equal(TimeSpan.FromSeconds(30), await clock.NextArmedTimerAsync());
        var pid = await ReadPidAsync(pidFile);
        Assert.True(Directory.Exists($"/proc/{pid}"), "the command should be running before its deadline");

        clock.Advance(TimeSpan.FromSeconds(30));
        var result = Assert.Single((await run).Checks);

        Assert.False(result.Passed);
        Assert.Equal("no answer within 30 s", result.Reason);
        Assert.Equal(TimeSpan.FromSeconds(30), result.Duration);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the command should be killed and reaped at its deadline");
    }

    [Fact]
    public async Task Retries_run_the_command_again_until_it_passes()
    {
        var counter = Path.Combine(_directory.Root, "count");
        var clock = new WatchedFakeTimeProvider();
        // Fails on the first two runs, passes on the third.
        var check = new HealthCheckDefinition(
            "flaky", HealthCheckKind.Command, $"echo x >> {counter}; test $(wc -l < {counter}) -ge 3", "flaky.conf:1")
        {
            Retries = 5,
            RetryDelay = TimeSpan.FromSeconds(2),
        };
        var run = new HealthRunner(new HealthRunnerOptions(), clock).RunAsync([check]);

        await clock.NextArmedTimerAsync(); // the overall deadline
        await clock.NextArmedTimerAsync(); // attempt 1's deadline; the attempt fails by itself
        await clock.AdvanceToNextTimerAsync(TimeSpan.FromSeconds(2));
        await clock.NextArmedTimerAsync(); // attempt 2's deadline
        await clock.AdvanceToNextTimerAsync(TimeSpan.FromSeconds(4));
        var result = Assert.Single((await run).Checks);

        Assert.True(result.Passed, result.Reason);
        Assert.Equal(3, result.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(6), result.Duration);
        Assert.Equal(3, (await File.ReadAllLinesAsync(counter)).Length);
    }

    public void Dispose() => _directory.Dispose();

    private static async Task<HealthCheckResult> CheckAsync(string command)
    {
        var check = new HealthCheckDefinition("cmd", HealthCheckKind.Command, command, "cmd.conf:1");
        return Assert.Single((await new HealthRunner().RunAsync([check])).Checks);
    }

    private static async Task<int> ReadPidAsync(string pidFile)
    {
        // The shell writes its PID right after it starts; poll the file briefly (real time, setup only).
        for (var i = 0; i < 200; i++)
        {
            if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), out var pid))
            {
                return pid;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"{pidFile} was never written");
    }
}
