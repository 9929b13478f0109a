// SPDX-License-Identifier: Apache-2.0
using System.Reflection;
using System.Runtime.Loader;

namespace HealthCheck.Tests.Checks;

/// <summary>
/// A second, collectible load of the named assemblies from the test directory, with their statics fresh, as
/// in a process that has just started. For behaviour read once per process (Tmds.DBus reads
/// DBUS_SYSTEM_BUS_ADDRESS once and keeps it), which the test process itself has long since fixed.
/// </summary>
internal sealed class FreshLoadContext(params string[] assemblyNames) : AssemblyLoadContext("fresh", isCollectible: true)
{
    protected override Assembly? Load(AssemblyName assemblyName) =>
        assemblyNames.Contains(assemblyName.Name)
            ? LoadFromAssemblyPath(Path.Combine(AppContext.BaseDirectory, assemblyName.Name + ".dll"))
            : null; // everything else is shared with the test process
}
