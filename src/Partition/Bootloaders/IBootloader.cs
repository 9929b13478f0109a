// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders;

/// <summary>
/// The bootloader's view of the A/B pair: which slot boots next, which are good, how many tries are left.
/// The environment is the source of truth for boot order and attempts; every write is atomic
/// (a reader sees the complete old state or the complete new state, never a torn one).
/// Slots are named by their bootname ("A", "B") as the bootloader script knows them.
/// </summary>
public interface IBootloader
{
    /// <summary>Short backend name as written in update.conf: "grub", "uboot".</summary>
    string Name { get; }

    Task<BootState> ReadStateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Make <paramref name="bootname"/> the slot to boot next. <see cref="BootActivation.Trial"/>: boot it with
    /// a limited number of tries; if it is not marked good in time the bootloader falls back to the other slot
    /// by itself. <see cref="BootActivation.Permanent"/>: it becomes the primary good slot (a manual rollback).
    /// One atomic environment write: this is the install's commit point.
    /// </summary>
    Task ActivateAsync(string bootname, BootActivation activation, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="ActivateAsync(string, BootActivation, CancellationToken)"/>, and in the same atomic write the
    /// committed security floor (<see cref="SecurityFloorVariable"/>) becomes the larger of what the environment holds
    /// and <paramref name="securityFloor"/>: it never goes down. Null leaves it as it is.
    /// </summary>
    /// <exception cref="BootEnvironmentException">The environment's floor is malformed: nothing is written.</exception>
    Task ActivateAsync(string bootname, BootActivation activation, long? securityFloor, CancellationToken cancellationToken);

    /// <summary>Mark the slot good: it stays bootable and its try counter is reset (the health verdict's commit).</summary>
    Task MarkGoodAsync(string bootname, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="MarkGoodAsync(string, CancellationToken)"/>, raising the committed security floor in the same atomic
    /// write: it becomes max(the environment's floor, <paramref name="securityFloor"/>). Null leaves it as it is.
    /// </summary>
    /// <exception cref="BootEnvironmentException">The environment's floor is malformed: nothing is written.</exception>
    Task MarkGoodAsync(string bootname, long? securityFloor, CancellationToken cancellationToken);

    /// <summary>Mark the slot bad: the bootloader never picks it (before an install writes it, or after a failed verdict).</summary>
    Task MarkBadAsync(string bootname, CancellationToken cancellationToken);
}

public enum BootActivation
{
    Trial,
    Permanent,
}

/// <summary>What the bootloader environment says, as read.</summary>
/// <param name="Order">Boot order, first tried first (bootnames).</param>
/// <param name="Slots">Per slot: good/bad and tries left.</param>
/// <param name="Variables">The raw environment variables, for `updater status` and diagnosis.</param>
public sealed record BootState(
    IReadOnlyList<string> Order,
    IReadOnlyList<SlotBootState> Slots,
    IReadOnlyDictionary<string, string> Variables)
{
    /// <summary>The slot the bootloader would boot next by its own rule, or null when none is bootable.</summary>
    public string? NextBoot => Order.FirstOrDefault(name => Slots.Any(s => s.Bootname == name && s.Bootable));

    public SlotBootState? Slot(string bootname) => Slots.FirstOrDefault(s => s.Bootname == bootname);

    /// <summary>
    /// The slot the bootloader says it started this boot (systemd-boot's LoaderEntrySelected), or null when it does
    /// not say: a second witness beside the kernel command line.
    /// </summary>
    public string? ReportedBoot { get; init; }

    /// <summary>
    /// Where the bootloader would not do what the environment says (a systemd-boot entry it would hide), for
    /// `updater status` to name; empty when there is nothing to say.
    /// </summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>The raw <see cref="SecurityFloorVariable"/> value, null when unset; <see cref="SecurityFloorVariable.Read"/> parses it.</summary>
    public string? SecurityFloorText => Variables.TryGetValue(SecurityFloorVariable.Name, out var value) ? value : null;
}

/// <param name="Good">Not marked bad: GRUB X_OK=1; U-Boot BOOT_x_LEFT &gt; 0 or BOOT_x_TRIAL=1 (see docs/bootloaders.md).</param>
/// <param name="TriesLeft">
/// Boot attempts left before the bootloader gives up on the slot; <see cref="Uncounted"/> for a committed slot,
/// whose boots the bootloader does not count; 0 for a bad slot or a trial whose tries are used up.
/// </param>
/// <param name="Trial">
/// The slot is on a trial boot: it was activated with <see cref="BootActivation.Trial"/> and not yet marked good
/// or bad. A trial with no tries left is a trial the bootloader gave up on (a rollback happened).
/// </param>
public sealed record SlotBootState(string Bootname, bool Good, int TriesLeft, bool Trial)
{
    /// <summary>Tries left of a committed slot: its boots are not counted, it stays bootable until marked bad.</summary>
    public const int Uncounted = int.MaxValue;

    public bool Bootable => Good && TriesLeft > 0;
}
