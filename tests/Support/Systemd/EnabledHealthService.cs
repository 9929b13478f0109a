// SPDX-License-Identifier: Apache-2.0
namespace TestSupport.Systemd;

/// <summary>
/// dist/updater-health.service as shipped, with the links `systemctl enable` makes from its [Install] section,
/// in a directory meant to be bound as the container's /etc/systemd/system.control (a directory of the unit
/// search path): the cached root itself stays untouched.
/// </summary>
public static class EnabledHealthService
{
    public const string Unit = "updater-health.service";

    /// <summary>Creates <paramref name="parent"/>/system.control holding the unit and its links; returns its path.</summary>
    public static string Create(string parent)
    {
        var units = Directory.CreateDirectory(Path.Combine(parent, "system.control")).FullName;
        File.Copy(RepositoryPaths.Dist(Unit), Path.Combine(units, Unit));
        foreach (var wants in new[] { "multi-user.target.wants", "boot-complete.target.requires" })
        {
            File.CreateSymbolicLink(Path.Combine(Directory.CreateDirectory(Path.Combine(units, wants)).FullName, Unit), "../" + Unit);
        }
        return units;
    }
}
