// SPDX-License-Identifier: Apache-2.0
namespace TestSupport;

/// <summary>
/// A test that needs root (mounts, loop devices). Skipped without root, except under CI=true, where it runs and
/// fails: a CI machine that lost root must not pass these untested.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        Skip = HostRequirements.RootMissing();
    }
}
