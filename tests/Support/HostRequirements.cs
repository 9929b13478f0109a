// SPDX-License-Identifier: Apache-2.0
namespace TestSupport;

/// <summary>
/// What a test needs from the host, and whether a missing piece skips it or fails it. On a developer's machine a
/// test that needs root or the systemd root skips with the reason; under CI (CI=true) nothing skips, so a CI
/// machine that lost its preparation fails loudly instead of passing without testing anything.
/// </summary>
public static class HostRequirements
{
    public const string SystemdRootVariable = "UPDATER_SYSTEMD_ROOT";
    public const string DefaultSystemdRoot = "/var/cache/updater-tests/systemd-root";

    // Written last by systemd-root.sh: a root without it is incomplete.
    public const string SystemdRootStamp = ".updater-systemd-root";

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Why a root-only test skips here, or null when it runs (as root, or under CI, where it then fails).</summary>
    public static string? RootMissing() => InCi || IsRoot ? null : "this test needs root (mounts, loop devices)";

    public static string SystemdRoot => Environment.GetEnvironmentVariable(SystemdRootVariable) is { Length: > 0 } root ? root : DefaultSystemdRoot;

    public const string UpdaterBinaryVariable = "UPDATER_AOT_DIR";

    /// <summary>The NativeAOT publish of the updater that tests/publish-aot.sh makes (same default, same variable).</summary>
    public static string UpdaterBinaryDirectory =>
        Environment.GetEnvironmentVariable(UpdaterBinaryVariable) is { Length: > 0 } dir ? dir : Path.Combine(RepositoryPaths.Root, "publish", "updater-aot");

    /// <summary>Why the published updater cannot run in the container here, or null if it can.</summary>
    public static string? UpdaterBinaryMissing() =>
        SystemdContainerMissing() ?? (File.Exists(Path.Combine(UpdaterBinaryDirectory, "updater"))
            ? null
            : $"no published updater in {UpdaterBinaryDirectory}; run tests/publish-aot.sh");

    /// <summary>Why the systemd container cannot run here, or null if it can.</summary>
    public static string? SystemdContainerMissing()
    {
        if (!IsRoot)
        {
            return "booting a systemd container needs root";
        }

        if (!File.Exists("/usr/bin/systemd-nspawn"))
        {
            return "systemd-nspawn is missing (apt-get install systemd-container)";
        }

        return File.Exists(Path.Combine(SystemdRoot, SystemdRootStamp))
            ? null
            : $"the systemd root {SystemdRoot} is not prepared; run tests/HealthCheck.Tests/systemd-root.sh as root";
    }
}
