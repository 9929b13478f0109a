namespace Updater.Daemon;

/// <summary>Reboots the device to activate an installed slot.</summary>
public interface IRebooter
{
    Task RebootAsync(CancellationToken cancellationToken);
}
