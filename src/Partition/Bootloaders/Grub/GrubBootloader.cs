// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using Partition.Storage;

namespace Partition.Bootloaders.Grub;

/// <summary>
/// The GRUB backend: reads and writes grubenv for dist/grub.cfg (rules in <see cref="GrubBootRule"/>). Every change
/// is one atomic replacement of the whole 1024-byte file (<see cref="AtomicFile"/>): GRUB's own save_env overwrites
/// the block in place, so the file must stay exactly 1024 bytes, which a replacement keeps.
/// </summary>
public sealed class GrubBootloader : EnvironmentBootloader
{
    private readonly DurableWriter _writer;

    public GrubBootloader(GrubOptions options)
        : this(options, DurableWriter.Instance)
    {
    }

    /// <summary>With the writer the torn-write tests substitute.</summary>
    internal GrubBootloader(GrubOptions options, DurableWriter writer)
        : base((options ?? throw new ArgumentNullException(nameof(options))).TrialTries, GrubOptions.MaxTrialTries)
    {
        Options = options;
        _writer = writer;
    }

    public override string Name => "grub";

    public GrubOptions Options { get; }

    private protected override string EnvironmentPath => Options.EnvFile;

    private protected override string BootScript => "dist/grub.cfg";

    private protected override string OrderVariable => GrubBootRule.Order;

    private protected override async Task<EnvironmentSnapshot> ReadEnvironmentAsync(CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(Options.EnvFile, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException e)
        {
            throw new BootEnvironmentException(Options.EnvFile, "does not exist; create it with `grub-editenv FILE create`", e);
        }

        return new GrubEnvSnapshot(GrubEnvBlock.Parse(bytes, Options.EnvFile));
    }

    private protected override Task WriteEnvironmentAsync(EnvironmentSnapshot current, IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken)
    {
        // Changed variables are rewritten where they stand and missing ones appended in grub.cfg's order, as
        // grub-editenv would: the block keeps the operator's variables, comments and line order.
        var block = ((GrubEnvSnapshot)current).Block;
        foreach (var name in GrubBootRule.Defaults.Keys.Concat(variables.Keys))
        {
            if (block.Get(name) != variables[name])
            {
                block.Set(name, variables[name]);
            }
        }

        return _writer.ReplaceAsync(Options.EnvFile, block.Encode(Options.EnvFile), cancellationToken);
    }

    private protected override Dictionary<string, string> Effective(IReadOnlyDictionary<string, string> variables) =>
        GrubBootRule.Effective(variables);

    private protected override SlotBootState SlotState(IReadOnlyDictionary<string, string> variables, string bootname) =>
        GrubBootRule.SlotState(variables, bootname);

    private protected override void SetSlot(Dictionary<string, string> env, string bootname, SlotMark mark)
    {
        env[GrubBootRule.Ok(bootname)] = mark == SlotMark.Bad ? "0" : "1";
        env[GrubBootRule.Try(bootname)] = "0";
        env[GrubBootRule.Trial(bootname)] = mark == SlotMark.Trial ? TrialTries.ToString(CultureInfo.InvariantCulture) : "0";
    }
}
