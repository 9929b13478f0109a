// SPDX-License-Identifier: Apache-2.0
namespace TestSupport;

/// <summary>
/// A test against the real systemd in the container. Skipped with the reason when the host cannot boot it,
/// except under CI=true, where it runs and its fixture fails with that reason.
/// </summary>
public sealed class SystemdFactAttribute : FactAttribute
{
    public SystemdFactAttribute()
    {
        if (!HostRequirements.InCi && HostRequirements.SystemdContainerMissing() is { } missing)
        {
            Skip = missing;
        }
    }
}
