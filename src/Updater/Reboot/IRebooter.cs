// SPDX-License-Identifier: Apache-2.0
namespace Updater.Reboot;

/// <summary>Reboots the device: to activate an installed side, after a failed verdict, or for a manual rollback.</summary>
internal interface IRebooter
{
    Task RebootAsync(CancellationToken cancellationToken);
}
