// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Parsing;
using HealthCheck.Running;

namespace Updater.Config;

/// <summary>What a failed health verdict does on a slot that is already committed (not on a trial boot).</summary>
internal enum CommittedFailurePolicy
{
    /// <summary>Print the verdict and exit 7; the slot stays committed.</summary>
    Report,

    /// <summary>Treat it like a failed trial: mark the slot bad and reboot into the other one, if that one can boot.</summary>
    Rollback,
}

/// <summary>
/// update.conf's [health] section: where the checks are, how `updater health` reboots after a failed verdict,
/// and what a failure on a committed slot does. Every key has a default, so the section is optional.
/// </summary>
internal sealed record HealthConfig
{
    public const string DefaultChecksDirectory = "/etc/updater/health.d";
    public const string DefaultRebootCommand = "systemctl reboot";

    public static HealthConfig Default { get; } = new();

    /// <summary>Directory of <c>*.conf</c> drop-ins with <c>[check.NAME]</c> sections.</summary>
    public string ChecksDirectory { get; init; } = DefaultChecksDirectory;

    /// <summary>Run by <c>/bin/sh -c</c> after a failed verdict has been written durably.</summary>
    public string RebootCommand { get; init; } = DefaultRebootCommand;

    public CommittedFailurePolicy OnCommittedFailure { get; init; } = CommittedFailurePolicy.Report;

    /// <summary>D-Bus address of systemd's bus for unit checks; null: the system bus.</summary>
    public string? BusAddress { get; init; }

    /// <summary>The deadline of the whole run of checks.</summary>
    public TimeSpan Timeout { get; init; } = HealthRunnerOptions.DefaultOverallTimeout;

    internal static HealthConfig Read(IniSection section)
    {
        var reader = new SectionReader(section);
        string checksDir = reader.Optional("checks-dir", DefaultChecksDirectory);
        if (!Path.IsPathRooted(checksDir))
        {
            throw new ConfigException($"{reader.Entry("checks-dir")!.Where}: key 'checks-dir' must be an absolute path, found '{IniExcerpt.Of(checksDir)}'");
        }
        if (reader.Entry("reboot-command") is { Value.Length: 0 } emptyReboot)
        {
            // Without a reboot a failed trial would stay running until someone notices: never silently.
            throw new ConfigException($"{emptyReboot.Where}: key 'reboot-command' is empty; a failed verdict must reboot (for a dry run pass --no-reboot to `updater health`)");
        }
        string reboot = reader.Optional("reboot-command", DefaultRebootCommand);
        var policy = reader.OneOf("on-committed-failure", "report", "report", "rollback") == "rollback"
            ? CommittedFailurePolicy.Rollback
            : CommittedFailurePolicy.Report;
        string? bus = reader.Optional("bus-address");
        if (bus is not null && !bus.Contains('=', StringComparison.Ordinal))
        {
            throw new ConfigException($"{reader.Entry("bus-address")!.Where}: key 'bus-address' is '{IniExcerpt.Of(bus)}', expected a D-Bus address such as unix:path=/run/dbus/system_bus_socket");
        }
        var timeout = HealthRunnerOptions.DefaultOverallTimeout;
        if (reader.Optional("timeout") is { } text)
        {
            if (!DurationParser.TryParse(text, out timeout) || timeout <= TimeSpan.Zero)
            {
                throw new ConfigException($"{reader.Entry("timeout")!.Where}: key 'timeout' is '{IniExcerpt.Of(text)}', expected a duration above zero and up to a day such as 90s or 5m");
            }
        }
        reader.RejectUnknown();
        return new HealthConfig
        {
            ChecksDirectory = checksDir,
            RebootCommand = reboot,
            OnCommittedFailure = policy,
            BusAddress = bus,
            Timeout = timeout,
        };
    }
}
