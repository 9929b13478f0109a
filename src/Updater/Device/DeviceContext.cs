// SPDX-License-Identifier: Apache-2.0
using Partition.Booted;
using Partition.Bootloaders;
using Updater.Clock;
using Updater.Config;
using Updater.Events;
using Updater.Reboot;
using Updater.State;
using Updater.Trust;

namespace Updater.Device;

/// <summary>
/// What every device-side command works with, built once per run: the checked configuration, the bootloader
/// backend, the one state directory, the booted-slot detector (with the operator's override), and the reboot
/// command. <see cref="ReadAsync"/> turns it into a <see cref="DeviceState"/>, the device's one view of itself.
/// </summary>
internal sealed class DeviceContext
{
    /// <param name="bootedOverride">--booted-slot (tests, rescue systems); null uses update.conf's booted-slot.</param>
    public DeviceContext(UpdaterConfig config, IBootloader bootloader, string? bootedOverride = null, IRebooter? rebooter = null,
        BootedSlotDetector? detector = null, TimeProvider? time = null, IUpdateEvents? events = null)
    {
        Config = config;
        Bootloader = bootloader;
        State = new StateDirectory(config.StateDirectory);
        Trust = new TrustStore(config.TrustRoot, State);
        Detector = detector ?? new BootedSlotDetector(config.Slots);
        BootedOverride = bootedOverride;
        Rebooter = rebooter ?? new CommandRebooter(config.Health.RebootCommand);
        Time = time ?? TimeProvider.System;
        Clock = new TrustedClock(State, Time, config.Clock);
        Events = events ?? NoUpdateEvents.Instance;
    }

    public UpdaterConfig Config { get; }

    public IBootloader Bootloader { get; }

    public StateDirectory State { get; }

    /// <summary>Who may sign what: the shipped root and the rotations accepted since.</summary>
    public TrustStore Trust { get; }

    public BootedSlotDetector Detector { get; }

    public string? BootedOverride { get; }

    public IRebooter Rebooter { get; }

    public TimeProvider Time { get; }

    /// <summary>"Now" for channel expiry and rollout waves: <see cref="Time"/> never below the newest signed time accepted.</summary>
    public TrustedClock Clock { get; }

    /// <summary>Where installs, marks, verdicts and rollbacks are announced: the journal when the output goes there.</summary>
    public IUpdateEvents Events { get; }

    /// <summary>
    /// Loads update.conf, checks that nobody but root can change what the updater trusts (the file itself, the
    /// trust root, [channel]'s CA file and client identity, whose secrets nobody else may read either, the health
    /// checks, the state directory) and that the state directory is not on a slot, then
    /// builds the backend: every refusal comes before anything is read from or written to a slot.
    /// </summary>
    public static DeviceContext Load(string configPath, string? bootedOverride = null)
    {
        var config = UpdaterConfig.Load(configPath);
        TrustedPath.Require(configPath, "configuration");
        TrustedPath.Require(config.TrustRoot, "trust root");
        foreach (var (path, what, secret) in config.Channel?.Identity.Files() ?? [])
        {
            // Who may replace the CA file decides which server the device trusts; who may read the key or the
            // headers can act as the device towards the fleet.
            if (secret)
            {
                TrustedPath.RequireSecret(path, what);
            }
            else
            {
                TrustedPath.Require(path, what);
            }
        }
        TrustedPath.RequireDirectory(config.Health.ChecksDirectory, "*.conf", "health checks directory");
        TrustedPath.Require(config.StateDirectory, "state directory");
        StateDirectoryPlacement.Check(config);
        return new DeviceContext(config, CreateBootloader(config), bootedOverride, events: NativeJournal.ForThisProcess());
    }

    /// <summary>Reads the device once: the booted slot, the bootloader environment and the state directory.</summary>
    public Task<DeviceState> ReadAsync(CancellationToken cancellationToken) => DeviceState.ReadAsync(this, cancellationToken);

    // UpdaterConfig checked the bootloader options when it loaded; building the backend cannot fail on them.
    private static IBootloader CreateBootloader(UpdaterConfig config) => BootloaderFactory.Create(config.BootloaderOptions);
}
