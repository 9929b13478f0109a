// SPDX-License-Identifier: Apache-2.0
using TestSupport.Systemd;

namespace HealthCheck.Tests.Systemd;

/// <summary>This assembly's tests that share one booted container (xunit wants the definition in the test assembly).</summary>
[CollectionDefinition(Name)]
public sealed class SystemdCollection : ICollectionFixture<SystemdContainerFixture>
{
    public const string Name = SystemdCollectionName.Value;
}
