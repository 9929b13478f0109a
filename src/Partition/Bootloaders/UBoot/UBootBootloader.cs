// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using Partition.Devices;
using Partition.Storage;

namespace Partition.Bootloaders.UBoot;

/// <summary>
/// The U-Boot backend: reads and writes the environment fw_printenv/fw_setenv and dist/boot.cmd use, with
/// BOOT_ORDER, BOOT_x_LEFT and BOOT_x_TRIAL (see <see cref="UBootBootRule"/>). Every change is one atomic write
/// (see <see cref="UBootEnvStore"/>).
/// </summary>
public sealed class UBootBootloader : EnvironmentBootloader
{
    private readonly UBootEnvStore _store;

    public UBootBootloader(UBootOptions options)
        : this(options, DurableWriter.Instance)
    {
    }

    /// <summary>With the writer the torn-write tests substitute.</summary>
    internal UBootBootloader(UBootOptions options, DurableWriter writer)
        : this(options, store => new UBootEnvStore(store, writer))
    {
    }

    /// <summary>With the NOR flash the torn-write tests substitute.</summary>
    internal UBootBootloader(UBootOptions options, Func<bool, INorFlash?> openFlash)
        : this(options, store => new UBootEnvStore(store, DurableWriter.Instance, openFlash))
    {
    }

    private UBootBootloader(UBootOptions options, Func<UBootOptions, UBootEnvStore> store)
        : base((options ?? throw new ArgumentNullException(nameof(options))).TrialTries, UBootOptions.MaxTrialTries)
    {
        if (options.Size <= UBootEnvCopy.HeaderSize(options.Redundant) + 1 || options.Offset < 0 || options.RedundantOffset < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "the environment's size and offsets do not describe a usable region");
        }

        if (options.RedundantOffset is { } second && Math.Abs(second - options.Offset) < options.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "the two copies of the redundant environment overlap");
        }

        Options = options;
        _store = store(options);
    }

    public override string Name => "uboot";

    public UBootOptions Options { get; }

    private protected override string EnvironmentPath => Options.Device;

    private protected override string BootScript => "dist/boot.cmd";

    private protected override string OrderVariable => UBootBootRule.Order;

    private protected override async Task<EnvironmentSnapshot> ReadEnvironmentAsync(CancellationToken cancellationToken) =>
        await _store.ReadAsync(cancellationToken).ConfigureAwait(false);

    private protected override Task WriteEnvironmentAsync(EnvironmentSnapshot current, IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken) =>
        _store.WriteAsync((UBootEnvSnapshot)current, variables, cancellationToken);

    private protected override Dictionary<string, string> Effective(IReadOnlyDictionary<string, string> variables) =>
        UBootBootRule.Effective(variables);

    private protected override SlotBootState SlotState(IReadOnlyDictionary<string, string> variables, string bootname) =>
        UBootBootRule.SlotState(variables, bootname);

    /// <summary>A committed slot keeps BOOT_x_LEFT at the trial count (as RAUC's tools show it); boot.cmd does not decrement it.</summary>
    private protected override void SetSlot(Dictionary<string, string> env, string bootname, SlotMark mark)
    {
        env[UBootBootRule.Left(bootname)] = (mark == SlotMark.Bad ? 0 : TrialTries).ToString(CultureInfo.InvariantCulture);
        env[UBootBootRule.Trial(bootname)] = mark == SlotMark.Trial ? "1" : "0";
    }
}
