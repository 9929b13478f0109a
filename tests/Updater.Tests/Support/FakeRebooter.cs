// SPDX-License-Identifier: Apache-2.0
using Updater.Reboot;

namespace Updater.Tests.Support;

internal sealed class FakeRebooter : IRebooter
{
    public int Reboots { get; private set; }

    public Task RebootAsync(CancellationToken cancellationToken)
    {
        Reboots++;
        return Task.CompletedTask;
    }
}
