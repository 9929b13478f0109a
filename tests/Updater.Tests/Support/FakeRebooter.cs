using Updater.Daemon;

namespace Updater.Tests.Support;

public sealed class FakeRebooter : IRebooter
{
    public int Reboots { get; private set; }

    public Task RebootAsync(CancellationToken cancellationToken)
    {
        Reboots++;
        return Task.CompletedTask;
    }
}
