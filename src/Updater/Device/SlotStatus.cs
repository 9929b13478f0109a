// SPDX-License-Identifier: Apache-2.0
namespace Updater.Device;

/// <summary>One slot in `updater status`: what the state directory records and what the bootloader says.</summary>
internal sealed record SlotStatus
{
    public required string Name { get; init; }
    public required string Class { get; init; }
    public required string Bootname { get; init; }
    public required string Device { get; init; }

    /// <summary>update.conf's type: raw, ext4 or vfat.</summary>
    public required string Type { get; init; }
    public required bool Booted { get; init; }

    public required SlotContent State { get; init; }
    public string? Version { get; init; }
    public DateTimeOffset? InstalledAt { get; init; }
    public string? ImageSha256 { get; init; }
    public bool? BootGood { get; init; }
    /// <summary>Null for a committed slot, whose boots the bootloader does not count.</summary>
    public int? BootTriesLeft { get; init; }
    public bool? BootTrial { get; init; }
}
