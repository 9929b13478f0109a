// SPDX-License-Identifier: Apache-2.0
namespace Updater.Explore;

/// <summary>What can happen to a device: a power-on, or one command an operator, the agent or a unit runs.</summary>
/// <param name="Command">The updater command line after --config and --booted-slot; empty for a boot.</param>
/// <param name="ChecksPass">The health check's result when this step runs the checks.</param>
/// <param name="BadInput">A bundle that must be refused with nothing on disk changed.</param>
/// <param name="Sabotage">The self test's deliberate bug: done instead of a command, to prove the checks catch it.</param>
internal sealed record ExploreEvent(string Name, string[] Command, bool ChecksPass = true, bool BadInput = false, Action<ExploreDevice, string>? Sabotage = null)
{
    public bool IsBoot => Command.Length == 0 && Sabotage is null;

    public bool IsCommand => Command.Length > 0 && Sabotage is null;

    public bool IsHealth => Command is ["health", ..];

    /// <summary>The slot an operator vouches for with mark-good (relative to the booted one).</summary>
    public string? VouchedFor(string booted) => Command is ["mark-good", var which] ? (which == "booted" ? booted : Other(booted)) : null;

    public static string Other(string bootname) => bootname == "A" ? "B" : "A";

    public static IReadOnlyList<ExploreEvent> All(ExploreDevice device) =>
    [
        new("boot", []),
        new("install v2", ["install", device.Bundle("v2")]),
        new("install v3", ["install", device.Bundle("v3")]),
        new("install tampered", ["install", device.Bundle("tampered")], BadInput: true),
        new("install wrong-board", ["install", device.Bundle("wrong-board")], BadInput: true),
        new("install corrupt", ["install", device.Bundle("corrupt")]),
        new("health pass", ["health"], ChecksPass: true),
        new("health fail", ["health"], ChecksPass: false),
        new("rollback", ["rollback"]),
        new("mark-good booted", ["mark-good", "booted"]),
        new("mark-good other", ["mark-good", "other"]),
        new("mark-bad booted", ["mark-bad", "booted"]),
        new("mark-bad other", ["mark-bad", "other"]),
        new("channel halted", ["check", "--install"]),
    ];

    /// <summary>Two bugs the exploration must find, each as a one-step sequence: writing the running slot, and making a never-written slot bootable.</summary>
    public static IReadOnlyList<ExploreEvent> Sabotages() =>
    [
        new("sabotage: write the booted slot", ["sabotage"], Sabotage: (device, booted) =>
        {
            using var slot = new FileStream(device.SlotPath(booted), FileMode.Open, FileAccess.Write);
            slot.WriteByte(0xff);
        }),
        new("sabotage: make the other slot bootable", ["sabotage"], Sabotage: (device, booted) =>
        {
            string other = Other(booted);
            var variables = new Dictionary<string, string>(device.Firmware.Read(), StringComparer.Ordinal);
            if (device.Backend == "grub")
            {
                variables["ORDER"] = $"{other} {booted}";
                variables[other + "_OK"] = "1";
                variables[other + "_TRIAL"] = "0";
            }
            else if (device.Backend == "uboot")
            {
                variables["BOOT_ORDER"] = $"{other} {booted}";
                variables[$"BOOT_{other}_LEFT"] = "3";
            }
            else
            {
                variables[other] = $"updater-999-{other.ToLowerInvariant()}.conf";
            }
            device.Firmware.Write(variables);
        }),
    ];
}

/// <summary>A power cut at the <see cref="Call"/>-th write, fsync, rename, unlink or create of a command.</summary>
/// <param name="LoseUnsynced">The disk also loses every write not fsync'ed before the cut.</param>
internal sealed record PowerCutAt(long Call, bool LoseUnsynced)
{
    public override string ToString() => $"cut at write {Call}{(LoseUnsynced ? " losing unsynced data" : "")}";
}

internal sealed record Step(ExploreEvent Event, PowerCutAt? Cut)
{
    public override string ToString() => Cut is null ? Event.Name : $"{Event.Name} ({Cut}, then boot)";
}

/// <summary>One step run from one state: what the command said and did, and the state it left.</summary>
internal sealed record Transition(DeviceSnapshot From, Step Step, DeviceSnapshot To, int Exit, string Output, long Calls, bool Tripped, bool Rebooted);
