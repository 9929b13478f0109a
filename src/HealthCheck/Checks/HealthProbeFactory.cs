// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Definitions;
using HealthCheck.Running;

namespace HealthCheck.Checks;

/// <summary>The real probes: systemd over D-Bus, processes, HTTP, the kernel's mount table.</summary>
internal sealed class HealthProbeFactory(HealthRunnerOptions options) : IHealthProbeFactory
{
    public IHealthProbe Create(HealthCheckDefinition definition) => definition.Kind switch
    {
        HealthCheckKind.SystemdUnit => new SystemdUnitProbe(definition.Target, options.ResolveSystemBusAddress()),
        HealthCheckKind.Command => new CommandProbe(definition.Target),
        HealthCheckKind.Http => new HttpProbe(new Uri(definition.Target, UriKind.Absolute), definition.ExpectedStatus),
        HealthCheckKind.Mount => new MountProbe(definition.Target),
        _ => throw new ArgumentOutOfRangeException(nameof(definition), definition.Kind, $"{definition.Source}: unknown check kind"),
    };
}
