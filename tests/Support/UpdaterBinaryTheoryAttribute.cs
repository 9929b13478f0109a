// SPDX-License-Identifier: Apache-2.0
namespace TestSupport;

/// <summary>
/// A test that runs the NativeAOT-published `updater` inside the systemd container. Skipped with the reason when
/// the container or the binary is missing, except under CI=true, where it runs and fails with that reason.
/// </summary>
public sealed class UpdaterBinaryTheoryAttribute : TheoryAttribute
{
    public UpdaterBinaryTheoryAttribute()
    {
        if (!HostRequirements.InCi && HostRequirements.UpdaterBinaryMissing() is { } missing)
        {
            Skip = missing;
        }
    }
}
