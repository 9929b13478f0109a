// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Checks;
using HealthCheck.Definitions;

namespace HealthCheck.Tests.Running;

/// <summary>
/// A fake of our own probe factory for tests of the runner's logic: each check's attempts are answered by a
/// script keyed by the check's target, which gets the attempt number (1-based) and the attempt's token.
/// </summary>
internal sealed class ScriptedProbes : IHealthProbeFactory
{
    private readonly Dictionary<string, Func<int, CancellationToken, Task<ProbeResult>>> _scripts = new();

    public static Task<ProbeResult> Hang(CancellationToken token) =>
        Task.Delay(Timeout.Infinite, token).ContinueWith(_ => ProbeResult.Pass(), token, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    public ScriptedProbes On(string target, Func<int, CancellationToken, Task<ProbeResult>> script)
    {
        _scripts[target] = script;
        return this;
    }

    public IHealthProbe Create(HealthCheckDefinition definition) => new Probe(_scripts[definition.Target]);

    private sealed class Probe(Func<int, CancellationToken, Task<ProbeResult>> script) : IHealthProbe
    {
        private int _attempts;

        public async ValueTask<ProbeResult> ProbeAsync(CancellationToken cancellationToken) =>
            await script(Interlocked.Increment(ref _attempts), cancellationToken);
    }
}
