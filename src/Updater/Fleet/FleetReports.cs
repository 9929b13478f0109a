// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Running;
using Updater.Config;
using Updater.Device;
using Updater.State;
using Updater.Verdict;

namespace Updater.Fleet;

/// <summary>
/// Builds every <see cref="FleetReport"/> the device sends, from the daemon and from `updater health` alike, so
/// each field means one thing on the wire: <c>current_version</c> is the booted side's release,
/// <c>rollback_reason</c> the recorded reason code (health-failed, no-verdict), and the sentence goes to
/// <c>message</c>.
/// </summary>
internal sealed class FleetReports
{
    private readonly string _compatible;
    private readonly ChannelConfig _channel;
    private readonly TimeProvider _time;

    public FleetReports(UpdaterConfig config, ChannelConfig channel, TimeProvider time)
    {
        _compatible = config.Compatible;
        _channel = channel;
        _time = time;
    }

    /// <summary>The agent started: what it runs.</summary>
    public FleetReport Status(DeviceState? device) => Base(FleetEvent.Status, device);

    /// <summary>An install from the channel started, finished or failed (<paramref name="message"/>: the error).</summary>
    public FleetReport Install(FleetEvent kind, DeviceState? device, ChannelCheck check, string? message = null) =>
        FromChannel(Base(kind, device), check) with { Message = message };

    /// <summary>
    /// The device is back on its old side. <paramref name="check"/>: the channel whose release was rolled back,
    /// when the daemon noticed it; the recorded rollback, when `updater health` recorded it, gives the reason.
    /// </summary>
    public FleetReport Rollback(DeviceState? device, RollbackRecord? recorded, ChannelCheck? check, string message)
    {
        var report = Base(FleetEvent.Rollback, device) with
        {
            TargetVersion = recorded?.Version,
            RollbackReason = recorded?.Reason,
            Message = message,
        };
        return check is null ? report : FromChannel(report, check);
    }

    /// <summary>The verdict of `updater health` on the booted side.</summary>
    public FleetReport Verdict(VerdictOutcome outcome) => Base(outcome.Verdict == HealthVerdict.Pass ? FleetEvent.HealthPassed : FleetEvent.HealthFailed, null) with
    {
        CurrentVersion = outcome.Version,
        HealthVerdict = outcome.Verdict == HealthVerdict.Pass ? "pass" : "fail",
        Message = outcome.Explanation,
    };

    private FleetReport Base(FleetEvent kind, DeviceState? device) => new()
    {
        Event = kind,
        Time = _time.GetUtcNow(),
        MachineId = MachineIdOrUnknown(),
        Compatible = _compatible,
        Group = _channel.Group,
        CurrentVersion = device?.RunningVersionText,
    };

    private static FleetReport FromChannel(FleetReport report, ChannelCheck check) => report with
    {
        TargetVersion = check.Decision.ReleaseVersion,
        Channel = check.Channel.Document.Channel,
        ChannelVersion = check.Channel.Document.Version,
    };

    /// <summary>A report still goes out when the machine id cannot be read; the fleet sees "unknown" and the reason is logged elsewhere.</summary>
    private string MachineIdOrUnknown()
    {
        try
        {
            return FleetDeviceId.Read(_channel.MachineIdFile);
        }
        catch (UpdaterException)
        {
            return "unknown";
        }
    }
}
