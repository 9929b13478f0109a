// SPDX-License-Identifier: Apache-2.0
namespace TestSupport.Systemd;

/// <summary>
/// The fact form of <see cref="UpdaterBinaryTheoryAttribute"/>: a test of the published `updater` in the systemd
/// container, skipped with the reason when either is missing, except under CI=true, where it runs and fails.
/// </summary>
public sealed class UpdaterBinaryFactAttribute : FactAttribute
{
    public UpdaterBinaryFactAttribute()
    {
        if (!HostRequirements.InCi && HostRequirements.UpdaterBinaryMissing() is { } missing)
        {
            Skip = missing;
        }
    }
}
