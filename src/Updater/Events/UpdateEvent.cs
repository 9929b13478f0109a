// SPDX-License-Identifier: Apache-2.0
using Updater.Text;

namespace Updater.Events;

/// <summary>
/// Something that happened to the device's slots, as the journal gets it: the message for people and the fields a
/// fleet agent or `journalctl UPDATER_SLOT=B` filters on. Absent fields are not written.
/// </summary>
internal sealed record UpdateEvent(UpdateEventType Type, string Message)
{
    /// <summary>The bootname the event is about (UPDATER_SLOT).</summary>
    public string? Slot { get; init; }

    /// <summary>The release on that slot, or being installed (UPDATER_VERSION).</summary>
    public string? Version { get; init; }

    /// <summary>The SHA-256 of the bundle's signed manifest, which names one build exactly (UPDATER_BUNDLE_SHA256).</summary>
    public string? BundleSha256 { get; init; }

    /// <summary>For a rollback: the side left (UPDATER_FROM_SLOT) and the side running instead (UPDATER_TO_SLOT).</summary>
    public string? FromSlot { get; init; }

    public string? ToSlot { get; init; }

    /// <summary>A word for why: a rollback's reason (health-failed, no-verdict, manual), or who marked (verdict, operator, channel).</summary>
    public string? Reason { get; init; }

    /// <summary>The error of a failed install, or the failed checks of a health verdict (UPDATER_ERROR).</summary>
    public string? Error { get; init; }

    /// <summary>
    /// The journal fields of this event, in the order they are sent; MESSAGE first. Values are escaped as every line
    /// the updater prints: a version, a path or a server's error is outside text, and `journalctl` shows it to people.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> Fields()
    {
        yield return new("MESSAGE", SafeText.Escape(Message));
        yield return new("MESSAGE_ID", Type.MessageId);
        yield return new("PRIORITY", Type.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return new("SYSLOG_IDENTIFIER", "updater");
        yield return new("UPDATER_EVENT", Type.Name);
        foreach (var (name, value) in new[]
        {
            ("UPDATER_SLOT", Slot), ("UPDATER_VERSION", Version), ("UPDATER_BUNDLE_SHA256", BundleSha256),
            ("UPDATER_FROM_SLOT", FromSlot), ("UPDATER_TO_SLOT", ToSlot), ("UPDATER_REASON", Reason), ("UPDATER_ERROR", Error),
        })
        {
            if (value is not null)
            {
                yield return new(name, SafeText.Escape(value));
            }
        }
    }
}
