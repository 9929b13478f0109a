using Partition.Booted;
using Partition.Bootloaders;
using Updater.Config;
using Updater.State;

namespace Updater.Cli;

/// <summary>What every device-side command needs: the checked configuration, the bootloader backend, the state directory.</summary>
public sealed class DeviceContext
{
    private DeviceContext(UpdaterConfig config, IBootloader bootloader)
    {
        Config = config;
        Bootloader = bootloader;
        State = new StateDirectory(config.StateDirectory);
        Detector = new BootedSlotDetector(config.Slots);
    }

    public UpdaterConfig Config { get; }

    public IBootloader Bootloader { get; }

    public StateDirectory State { get; }

    public BootedSlotDetector Detector { get; }

    public static DeviceContext Load(string configPath)
    {
        var config = UpdaterConfig.Load(configPath);
        return new DeviceContext(config, CreateBootloader(config));
    }

    // UpdaterConfig checked the bootloader options when it loaded; building the backend cannot fail on them.
    private static IBootloader CreateBootloader(UpdaterConfig config) => BootloaderFactory.Create(config.BootloaderOptions);

    /// <summary>The booted slot, or an error that says how to tell the updater.</summary>
    public BootedSlot DetectBooted(string? overrideBootname)
    {
        try
        {
            return Detector.Detect(overrideBootname ?? Config.BootedSlot);
        }
        catch (InvalidOperationException e)
        {
            throw new UpdaterException(ExitCode.Refused, e.Message);
        }
    }
}
