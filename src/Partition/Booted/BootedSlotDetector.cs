// SPDX-License-Identifier: Apache-2.0
using Partition.Devices;
using Partition.Slots;

namespace Partition.Booted;

/// <summary>How the booted slot was found, for `updater status` and for diagnosing a wrong guess.</summary>
public enum BootedSlotSource
{
    Override,
    KernelCommandLine,
    RootDevice,
}

public sealed record BootedSlot(string Bootname, BootedSlotSource Source, string Evidence);

/// <summary>
/// Finds the slot the running system booted from: an explicit override (tests, a rescue system), else the
/// kernel command line's <c>updater.slot=</c> (set by the bootloader script; <c>rauc.slot=</c> is accepted so
/// existing RAUC scripts work), else the slot whose block device holds the root filesystem. Guessing is not
/// an option: the answer decides which slot may be written.
/// </summary>
public sealed class BootedSlotDetector
{
    public const string CommandLineKey = "updater.slot";
    private const string RaucKey = "rauc.slot";

    private readonly SlotSet _slots;
    private readonly string _cmdlinePath;
    private readonly string _rootPath;

    public BootedSlotDetector(SlotSet slots, string cmdlinePath = "/proc/cmdline", string rootPath = "/")
    {
        _slots = slots;
        _cmdlinePath = cmdlinePath;
        _rootPath = rootPath;
    }

    public BootedSlot Detect(string? overrideBootname)
    {
        if (overrideBootname is not null && overrideBootname != "auto")
        {
            Known(overrideBootname, "the override");
            return new BootedSlot(overrideBootname, BootedSlotSource.Override, "set by configuration or --booted-slot");
        }

        string cmdline = File.Exists(_cmdlinePath) ? File.ReadAllText(_cmdlinePath) : "";
        if (FromCommandLine(cmdline) is { } fromCmdline)
        {
            Known(fromCmdline, _cmdlinePath);
            return new BootedSlot(fromCmdline, BootedSlotSource.KernelCommandLine, $"{CommandLineKey}={fromCmdline} in {_cmdlinePath}");
        }

        ulong rootDevice = DeviceIdentity.FilesystemDeviceOf(_rootPath);
        foreach (var slot in _slots.All)
        {
            if (!File.Exists(slot.Device))
            {
                continue;
            }
            var id = DeviceIdentity.Of(slot.Device);
            if (id.IsBlockDevice && id.RawDevice == rootDevice)
            {
                return new BootedSlot(slot.Bootname, BootedSlotSource.RootDevice, $"{_rootPath} is on {slot.Device}");
            }
        }
        throw new BootedSlotUnknownException(
            $"cannot tell which slot is booted: no {CommandLineKey}= on the kernel command line ({_cmdlinePath}) and {_rootPath} is not on any slot device");
    }

    /// <summary>The value of the last <c>updater.slot=</c> (or <c>rauc.slot=</c>) word, as the kernel would take it.</summary>
    public static string? FromCommandLine(string cmdline)
    {
        string? found = null;
        foreach (string word in cmdline.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string key in new[] { CommandLineKey, RaucKey })
            {
                if (word.StartsWith(key + "=", StringComparison.Ordinal))
                {
                    found = word[(key.Length + 1)..];
                }
            }
        }
        return string.IsNullOrEmpty(found) ? null : found;
    }

    private void Known(string bootname, string where)
    {
        if (!_slots.Bootnames.Contains(bootname))
        {
            throw new BootedSlotUnknownException($"{where} names booted slot '{bootname}', but the configured bootnames are {string.Join(", ", _slots.Bootnames)}");
        }
    }
}
