// SPDX-License-Identifier: Apache-2.0
namespace TestSupport.Systemd;

/// <summary>
/// dist/updater-health.service and dist/updater-commit.service as shipped, with the links `systemctl enable` makes
/// from their [Install] sections, in a directory meant to be bound as the container's
/// /etc/systemd/system.control (a directory of the unit search path): the cached root itself stays untouched.
/// </summary>
public static class EnabledHealthService
{
    public const string Unit = "updater-health.service";

    public const string CommitUnit = "updater-commit.service";

    /// <summary>Creates <paramref name="parent"/>/system.control holding the units and their links; returns its path.</summary>
    public static string Create(string parent)
    {
        var units = Directory.CreateDirectory(Path.Combine(parent, "system.control")).FullName;
        foreach (var (unit, links) in new[] { (Unit, new[] { "multi-user.target.wants", "boot-complete.target.requires" }), (CommitUnit, new[] { "multi-user.target.wants" }) })
        {
            File.Copy(RepositoryPaths.Dist(unit), Path.Combine(units, unit));
            foreach (var wants in links)
            {
                File.CreateSymbolicLink(Path.Combine(Directory.CreateDirectory(Path.Combine(units, wants)).FullName, unit), "../" + unit);
            }
        }
        return units;
    }
}
