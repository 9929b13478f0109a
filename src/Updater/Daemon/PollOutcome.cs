// SPDX-License-Identifier: Apache-2.0
namespace Updater.Daemon;

/// <summary>What one poll of the daemon did.</summary>
internal enum PollOutcome
{
    /// <summary>A verdict is outstanding (the running side's trial, or a trial the bootloader gave up on): nothing was fetched or installed.</summary>
    TrialPending,

    /// <summary>The rollout does not (yet) want this device to install anything.</summary>
    NothingToDo,

    /// <summary>The release was installed; a reboot activates it.</summary>
    Installed,

    /// <summary>The release is installed and the device was asked to reboot.</summary>
    Rebooted,

    /// <summary>The channel halted or withdrew the staged release: the staged side was marked bad before any reboot.</summary>
    StagedCancelled,
}
