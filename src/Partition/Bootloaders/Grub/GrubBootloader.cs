namespace Partition.Bootloaders.Grub;

/// <summary>
/// The GRUB backend: reads and writes grubenv for dist/grub.cfg. Every change is one atomic replacement of the
/// whole 1024-byte file (see <see cref="DurableFile"/>): GRUB's own save_env overwrites the block in place, so
/// the file must stay exactly 1024 bytes, which a replacement keeps.
/// </summary>
public sealed class GrubBootloader : IBootloader
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public GrubBootloader(GrubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TrialTries is < 1 or > GrubOptions.MaxTrialTries)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.TrialTries, $"trial tries must be 1-{GrubOptions.MaxTrialTries}");
        }

        Options = options;
    }

    public string Name => "grub";

    public GrubOptions Options { get; }

    /// <summary>grubenv is replaced by rename, so writers lock its directory.</summary>
    internal string LockPath => Path.GetDirectoryName(Path.GetFullPath(Options.EnvFile)) ?? "/";

    /// <summary>Crash injection for the torn-write tests; null in production.</summary>
    internal PowerCut? PowerCut { get; set; }

    public async Task<BootState> ReadStateAsync(CancellationToken cancellationToken)
    {
        var block = await ReadBlockAsync(cancellationToken).ConfigureAwait(false);
        return StateOf(block.Variables);
    }

    public Task ActivateAsync(string bootname, BootActivation activation, CancellationToken cancellationToken) =>
        ChangeAsync(bootname, (block, env) =>
        {
            var order = GrubBootRule.SplitOrder(env[GrubBootRule.Order]).Where(GrubBootRule.Slots.Contains).ToList();
            order.Remove(bootname);
            order.Insert(0, bootname);
            order.AddRange(GrubBootRule.Slots.Where(s => !order.Contains(s)));
            block.Set(GrubBootRule.Order, string.Join(' ', order.Distinct()));
            SetSlot(block, bootname, ok: true, trialTries: activation == BootActivation.Trial ? Options.TrialTries : 0);
        }, cancellationToken);

    public Task MarkGoodAsync(string bootname, CancellationToken cancellationToken) =>
        ChangeAsync(bootname, (block, _) => SetSlot(block, bootname, ok: true, trialTries: 0), cancellationToken);

    public Task MarkBadAsync(string bootname, CancellationToken cancellationToken) =>
        ChangeAsync(bootname, (block, _) => SetSlot(block, bootname, ok: false, trialTries: 0), cancellationToken);

    internal static BootState StateOf(IReadOnlyDictionary<string, string> variables)
    {
        var env = GrubBootRule.Effective(variables);
        return new BootState(
            GrubBootRule.SplitOrder(env[GrubBootRule.Order]),
            GrubBootRule.Slots.Select(slot => GrubBootRule.SlotState(variables, slot)).ToList(),
            variables);
    }

    private static void SetSlot(GrubEnvBlock block, string slot, bool ok, int trialTries)
    {
        block.Set(GrubBootRule.Ok(slot), ok ? "1" : "0");
        block.Set(GrubBootRule.Try(slot), "0");
        block.Set(GrubBootRule.Trial(slot), trialTries.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task ChangeAsync(string bootname, Action<GrubEnvBlock, Dictionary<string, string>> change, CancellationToken cancellationToken)
    {
        if (!GrubBootRule.Slots.Contains(bootname))
        {
            throw new ArgumentException($"dist/grub.cfg boots slots {string.Join(" and ", GrubBootRule.Slots)}; there is no slot \"{bootname}\"", nameof(bootname));
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var processLock = await EnvironmentLock.AcquireAsync(LockPath, cancellationToken).ConfigureAwait(false);
            var block = await ReadBlockAsync(cancellationToken).ConfigureAwait(false);
            byte[] before = block.Encode(Options.EnvFile);
            var effective = GrubBootRule.Effective(block.Variables);

            // Every write spells out all of grub.cfg's variables, so `grub-editenv list` shows the whole state.
            foreach (var (name, value) in GrubBootRule.Defaults)
            {
                if (block.Get(name) is null)
                {
                    block.Set(name, effective[name]);
                }
            }

            change(block, effective);
            byte[] after = block.Encode(Options.EnvFile);
            if (!before.AsSpan().SequenceEqual(after))
            {
                await DurableFile.ReplaceAsync(Options.EnvFile, after, PowerCut, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<GrubEnvBlock> ReadBlockAsync(CancellationToken cancellationToken)
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

        return GrubEnvBlock.Parse(bytes, Options.EnvFile);
    }
}
