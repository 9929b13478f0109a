// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Checks;

/// <summary>
/// Asks once whether one thing is healthy. Deadlines and retries are the runner's business: a probe only has to
/// stop promptly when the token is cancelled. An expected unhealthy state is a failed <see cref="ProbeResult"/>;
/// an exception also counts as a failed attempt, with its message as the reason.
/// </summary>
internal interface IHealthProbe
{
    ValueTask<ProbeResult> ProbeAsync(CancellationToken cancellationToken);
}
