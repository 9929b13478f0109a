namespace Updater.Daemon;

/// <summary>
/// Reboots with the device's one reboot command ([health] reboot-command, default `systemctl reboot`), the
/// same one a failed health verdict and `updater rollback --reboot` use.
/// </summary>
public sealed class CommandRebooter : IRebooter
{
    private readonly string _command;

    public CommandRebooter(string command)
    {
        _command = command;
    }

    public Task RebootAsync(CancellationToken cancellationToken) => Health.RebootCommand.RunAsync(_command, cancellationToken);
}
