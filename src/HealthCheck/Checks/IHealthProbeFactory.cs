// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Definitions;

namespace HealthCheck.Checks;

/// <summary>Makes the probe that answers a definition; the runner's seam for tests of its own logic.</summary>
internal interface IHealthProbeFactory
{
    IHealthProbe Create(HealthCheckDefinition definition);
}
