// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Tests.Checks;

/// <summary>Tests that change the process's environment variables: run alone, never beside another test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}
