// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;

namespace Updater.Device;

/// <summary>
/// `updater status` as data: the device snapshot laid out per slot, with every place where the bootloader's
/// view and the state directory's disagree, or where an operator must act, named as a problem.
/// </summary>
internal static class DeviceStatus
{
    public static StatusReport From(DeviceState device, DateTimeOffset now)
    {
        var problems = new List<string>();
        if (device.BootedProblem is { } bootedProblem)
        {
            problems.Add(bootedProblem);
        }
        if (device.BootProblem is { } bootProblem)
        {
            problems.Add($"bootloader environment unreadable: {bootProblem}");
        }
        problems.AddRange(device.Boot?.Problems ?? []);

        var slots = new List<SlotStatus>();
        foreach (var slot in device.Config.Slots.All)
        {
            var side = device.Side(slot.Bootname);
            var record = side.Slots.First(s => s.Slot == slot).Record;
            var content = side.IsBooted ? SlotContent.Booted
                : side.IsInstalling ? SlotContent.Installing
                : record is not null ? SlotContent.Installed : SlotContent.Unrecorded;
            slots.Add(new SlotStatus
            {
                Name = slot.Name,
                Class = slot.Class,
                Bootname = slot.Bootname,
                Device = slot.Device,
                Type = Partition.Filesystems.SlotTypeWords.Word(slot.Type),
                Booted = side.IsBooted,
                State = content,
                Version = record?.Version,
                InstalledAt = record?.InstalledAt,
                ImageSha256 = record?.ImageSha256,
                BootGood = side.Boot?.Good,
                BootTriesLeft = side.Boot?.TriesLeft == SlotBootState.Uncounted ? null : side.Boot?.TriesLeft,
                BootTrial = side.Boot?.Trial,
            });
            if (content == SlotContent.Installing && side.IsBootable)
            {
                problems.Add($"the bootloader may boot slot {slot.Bootname}, but an install into {slot.Name} is unfinished: mark it bad (`updater mark-bad {slot.Bootname}`) or finish the install");
            }
        }
        problems.AddRange(device.Sides.Select(s => s.VersionProblem).OfType<string>());
        if (device.Journal is { } journal && device.Sides.Any(s => s.IsInstalling))
        {
            problems.Add(journal.FailedHook is { } hook
                ? $"the install of {journal.Version} into slot {journal.TargetBootname} from {journal.Source} wrote every image, but {Hooks.HookFailedException.Describe(hook)} at {Fleet.UtcMinute.Format(hook.FailedAt)}: slot {journal.TargetBootname} is not activated; fix the cause and run the same install again (it keeps the written chunks and reruns the hooks)"
                : $"an install of {journal.Version} into slot {journal.TargetBootname} from {journal.Source} was interrupted; run it again to finish");
        }

        // Status only reads: a rollback it sees before `updater health` has recorded it is shown as unrecorded.
        var rollback = device.Rollback;
        bool? rollbackRecorded = rollback is null ? null : true;
        if (device.Boot is not null && RollbackDetector.Find(device, now) is { } seen)
        {
            rollback = seen;
            rollbackRecorded = false;
        }
        // No readable floor, or an unreadable one, refuses every install: say so before an install does.
        if (device.SecurityFloor.Problem is { } floorProblem)
        {
            problems.Add($"anti-rollback floor: {floorProblem}");
        }
        if (device.Boot?.ReportedBoot is { } reported && device.Booted is { } booted && reported != booted.Bootname)
        {
            problems.Add($"the bootloader reports it started slot {reported}, but the booted slot is {booted.Bootname} ({booted.Evidence}): check the kernel command line (updater.slot=) of slot {reported}'s boot entry");
        }
        if (device.Boot is not null && device.Booted is not null && device.Boot.NextBoot is null)
        {
            problems.Add("the bootloader has no bootable slot: the next boot will fail");
        }

        return new StatusReport
        {
            Compatible = device.Config.Compatible,
            BootedSlot = device.Booted?.Bootname,
            BootedDetectedBy = device.Booted?.Evidence,
            Bootloader = device.Config.Bootloader,
            NextBoot = device.Boot?.NextBoot,
            BootOrder = device.Boot?.Order,
            BootloaderVariables = device.Boot?.Variables,
            InstallInProgress = device.Journal,
            Rollback = rollback,
            RollbackRecorded = rollbackRecorded,
            Slots = slots,
            SecurityFloor = device.SecurityFloor.Value,
            SecurityFloorSources = device.SecurityFloor.Sources,
            Problems = problems,
        };
    }
}
