// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Checks;
using HealthCheck.Definitions;
using HealthCheck.Parsing;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace HealthCheck.Running;

/// <summary>
/// Runs health checks in parallel and gives the verdict. Each attempt of a check is bounded by the check's
/// <see cref="HealthCheckDefinition.Timeout"/>; a failed or timed-out attempt is retried
/// <see cref="HealthCheckDefinition.Retries"/> times, waiting <see cref="HealthCheckDefinition.RetryDelay"/>
/// before the first retry and twice as long before each further one (at most <see cref="MaxRetryDelay"/>); the
/// whole run is bounded by <see cref="HealthRunnerOptions.OverallTimeout"/>. All waiting goes through the
/// <see cref="TimeProvider"/>, so tests drive it with a fake clock.
/// </summary>
public sealed class HealthRunner
{
    /// <summary>The longest wait between two attempts, however many retries doubled it.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(1);

    // Polly's timeout strategy accepts deadlines from 10 ms to a day.
    private static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    private readonly HealthRunnerOptions _options;
    private readonly TimeProvider _time;
    private readonly IHealthProbeFactory _probes;

    /// <param name="options">Bus address and overall deadline; defaults when null.</param>
    /// <param name="timeProvider">The clock for deadlines, delays and durations; <see cref="TimeProvider.System"/> when null.</param>
    public HealthRunner(HealthRunnerOptions? options = null, TimeProvider? timeProvider = null)
        : this(options ?? new HealthRunnerOptions(), timeProvider ?? TimeProvider.System, null)
    {
    }

    internal HealthRunner(HealthRunnerOptions options, TimeProvider timeProvider, IHealthProbeFactory? probes)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (options.OverallTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.OverallTimeout, "the overall timeout must be longer than zero");
        }

        _options = options;
        _time = timeProvider;
        _probes = probes ?? new HealthProbeFactory(options);
    }

    /// <summary>
    /// Runs every check and reports. Failing checks do not throw: they are results. Cancelling
    /// <paramref name="cancellationToken"/> abandons the run (the caller is shutting down) and throws
    /// <see cref="OperationCanceledException"/>; the overall deadline instead fails the checks still running.
    /// </summary>
    /// <exception cref="InvalidHealthCheckException">A definition is unusable (its message names the definition's source).</exception>
    public async Task<HealthReport> RunAsync(IEnumerable<HealthCheckDefinition> checks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var definitions = checks.ToList();
        Validate(definitions);

        var startedAt = _time.GetUtcNow();
        var start = _time.GetTimestamp();
        using var overallDeadline = new CancellationTokenSource(_options.OverallTimeout, _time);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, overallDeadline.Token);

        // Task.Run: a probe that does some synchronous work first (starting a process) must not delay the others.
        var results = await Task.WhenAll(definitions.Select(definition =>
                Task.Run(() => RunCheckAsync(definition, run.Token, cancellationToken), CancellationToken.None)))
            .ConfigureAwait(false);

        cancellationToken.ThrowIfCancellationRequested();
        var verdict = results.Any(result => result.Required && !result.Passed) ? HealthVerdict.Fail : HealthVerdict.Pass;
        return new HealthReport(verdict, startedAt, _time.GetElapsedTime(start), results);
    }

    private async Task<HealthCheckResult> RunCheckAsync(
        HealthCheckDefinition definition, CancellationToken runToken, CancellationToken callerToken)
    {
        var start = _time.GetTimestamp();
        var attempts = 0;
        string? lastFailure = null;
        ProbeResult outcome;
        try
        {
            var probe = _probes.Create(definition);
            var pipeline = BuildPipeline(definition, failure => lastFailure = failure);
            outcome = await pipeline.ExecuteAsync(
                async token =>
                {
                    attempts++;
                    try
                    {
                        return await probe.ProbeAsync(token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        return ProbeResult.Fail(e.Message);
                    }
                },
                runToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException)
        {
            outcome = ProbeResult.Fail(NoAnswer(definition));
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
        {
            var reason = $"stopped by the overall deadline of {Format(_options.OverallTimeout)}";
            outcome = ProbeResult.Fail(lastFailure is null ? reason : $"{reason}; before that: {lastFailure}");
        }

        return new HealthCheckResult(
            definition.Name,
            definition.Kind,
            definition.Target,
            definition.Source,
            definition.Required,
            outcome.Passed,
            attempts,
            _time.GetElapsedTime(start),
            outcome.Reason);
    }

    private ResiliencePipeline<ProbeResult> BuildPipeline(HealthCheckDefinition definition, Action<string> onFailedAttempt)
    {
        var builder = new ResiliencePipelineBuilder<ProbeResult> { TimeProvider = _time };
        if (definition.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<ProbeResult>
            {
                ShouldHandle = new PredicateBuilder<ProbeResult>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(result => !result.Passed),
                MaxRetryAttempts = definition.Retries,
                Delay = definition.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                // One device retrying its own services: nothing to spread out, and tests can predict the waits.
                UseJitter = false,
                MaxDelay = MaxRetryDelay,
                OnRetry = args =>
                {
                    onFailedAttempt(args.Outcome.Exception is TimeoutRejectedException
                        ? NoAnswer(definition)
                        : args.Outcome.Result.Reason ?? "failed");
                    return default;
                },
            });
        }

        return builder.AddTimeout(definition.Timeout).Build();
    }

    private static string NoAnswer(HealthCheckDefinition definition) => $"no answer within {Format(definition.Timeout)}";

    private static string Format(TimeSpan duration) =>
        duration.TotalSeconds >= 1 && duration.Milliseconds == 0
            ? $"{(long)duration.TotalSeconds} s"
            : $"{(long)duration.TotalMilliseconds} ms";

    private static void Validate(List<HealthCheckDefinition> definitions)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var definition in definitions)
        {
            ArgumentNullException.ThrowIfNull(definition, nameof(definitions));
            var problem = definition switch
            {
                { Name.Length: 0 } => "the check has no name",
                { Target.Length: 0 } => "the check has no target",
                _ when definition.Timeout < MinTimeout || definition.Timeout > MaxTimeout =>
                    $"timeout {definition.Timeout} is outside {MinTimeout.TotalMilliseconds} ms to 1 day",
                { Retries: < 0 } => "retries must not be negative",
                _ when definition.RetryDelay < TimeSpan.Zero || definition.RetryDelay > MaxTimeout =>
                    $"retry delay {definition.RetryDelay} is outside 0 to 1 day",
                { Kind: HealthCheckKind.Http } when !HttpUrl.TryParse(definition.Target, out _) =>
                    $"'{IniExcerpt.Of(HttpUrl.Redact(definition.Target))}' is not an absolute http:// or https:// URL",
                _ when names.TryGetValue(definition.Name, out var first) =>
                    $"check '{definition.Name}' is already defined at {first}",
                _ => null,
            };
            if (problem is not null)
            {
                throw new InvalidHealthCheckException($"{definition.Source}: {problem}", nameof(definitions));
            }

            names.Add(definition.Name, definition.Source);
        }
    }
}
