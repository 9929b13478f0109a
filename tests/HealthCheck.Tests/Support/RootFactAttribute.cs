namespace HealthCheck.Tests.Support;

/// <summary>A test that mounts file systems. Skipped without root, except under CI=true, where it then fails.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!HostRequirements.InCi && !HostRequirements.IsRoot)
        {
            Skip = "mounting needs root";
        }
    }
}
