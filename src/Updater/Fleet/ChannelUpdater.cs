using Partition.Booted;
using Partition.Bootloaders;
using Updater.Bundles;
using Updater.Config;
using Updater.Crypto;
using Updater.Install;
using Updater.State;
using Updater.Transport;

namespace Updater.Fleet;

/// <summary>
/// The device side of a channel: fetch (conditionally), verify, judge freshness, decide the rollout, and
/// install what it allows through the same pipeline as `updater install URL`. Used by `updater check` and
/// by the daemon, which keeps one instance so an unchanged channel costs a 304.
/// </summary>
public sealed class ChannelUpdater
{
    private readonly UpdaterConfig _config;
    private readonly ChannelConfig _channel;
    private readonly IBootloader _bootloader;
    private readonly BootedSlotDetector _detector;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly string? _bootedOverride;
    private readonly ChannelFetcher _fetcher;
    private readonly ChannelStore _store;
    private readonly StateDirectory _state;
    private VerifiedChannel? _last;

    public ChannelUpdater(UpdaterConfig config, IBootloader bootloader, BootedSlotDetector detector, HttpClient http, TimeProvider time,
        string? bootedOverride = null, string? channelLocation = null, Action<string>? log = null)
    {
        _config = config;
        _channel = config.Channel ?? throw new ConfigException($"{config.File}: no [channel] section: set [channel] url to use channels");
        _bootloader = bootloader;
        _detector = detector;
        _http = http;
        _time = time;
        _bootedOverride = bootedOverride;
        Transport = _channel.TransportOptions(time, log);
        _fetcher = new ChannelFetcher(channelLocation ?? _channel.Url, http, Transport);
        _store = new ChannelStore(config.StateDirectory, config.Compatible, time);
        _state = new StateDirectory(config.StateDirectory);
    }

    public HttpTransportOptions Transport { get; }

    public ChannelConfig Channel => _channel;

    public async Task<ChannelCheck> CheckAsync(CancellationToken cancellationToken)
    {
        var keyring = Keyring.Load(_channel.Keyring);
        var stored = _store.ReadState();
        _last ??= stored?.ETag is not null ? TryReadAccepted(keyring) : null;
        var fetch = await _fetcher.FetchAsync(_last is not null ? stored?.ETag : null, cancellationToken).ConfigureAwait(false);
        VerifiedChannel channel;
        if (fetch.NotModified && _last is not null)
        {
            channel = _last;
            _store.CheckNotExpired(channel);
        }
        else
        {
            channel = VerifiedChannel.Open(fetch.Bytes ?? [], keyring, _fetcher.Name);
            await _store.AcceptAsync(channel, fetch.ETag, cancellationToken).ConfigureAwait(false);
        }
        _last = channel;
        var facts = await DeviceFactsAsync(cancellationToken).ConfigureAwait(false);
        var decision = RolloutPolicy.Decide(channel.Document, facts, _time.GetUtcNow());
        return new ChannelCheck(channel, decision, fetch.NotModified, _fetcher.ResolveBundle(channel.Document.Release.BundleUrl));
    }

    /// <summary>Installs the release a check allowed; the bundle must be the one the signed channel names.</summary>
    public async Task<InstallResult> InstallAsync(ChannelCheck check, IProgress<InstallProgress>? progress, CancellationToken cancellationToken)
    {
        var release = check.Channel.Document.Release;
        await using var source = await BundleSources.OpenAsync(check.BundleLocation, Transport, _http, cancellationToken).ConfigureAwait(false);
        if (source.Length != release.BundleSize)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{source.Name}: the bundle has {source.Length} bytes, channel '{check.Channel.Document.Channel}' version {check.Channel.Document.Version} says {release.BundleSize}: refusing it");
        }
        var bundle = await VerifiedBundle.OpenAsync(source, Keyring.Load(_config.Keyring), cancellationToken).ConfigureAwait(false);
        if (bundle.Manifest.Version != release.Version)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{source.Name}: the bundle is version {bundle.Manifest.Version}, the channel names {release.Version}: refusing it");
        }
        if (release.ManifestSha256 is { } pinned && pinned != bundle.ManifestSha256)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{source.Name}: the bundle's manifest hashes to {bundle.ManifestSha256}, the channel pins {pinned}: refusing it");
        }
        var installer = new Installer(_config, _bootloader, _detector, _time);
        return await installer.InstallAsync(source, new InstallOptions { BootedSlot = _bootedOverride }, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The stored channel, for a conditional request; null (fetch it whole) when it no longer verifies, e.g.
    /// after its signing key left the keyring: a 304 must never make the device act on such a file.
    /// </summary>
    private VerifiedChannel? TryReadAccepted(Keyring keyring)
    {
        try
        {
            return _store.ReadAccepted(keyring);
        }
        catch (UpdaterException)
        {
            return null;
        }
    }

    /// <summary>A slot on trial boot awaits its health verdict: nothing may be installed until it is given.</summary>
    public async Task<string?> TrialPendingAsync(CancellationToken cancellationToken)
    {
        var boot = await _bootloader.ReadStateAsync(cancellationToken).ConfigureAwait(false);
        return boot.Slots.FirstOrDefault(s => s.Trial) is { } trial
            ? $"slot {trial.Bootname} is on a trial boot awaiting its health verdict"
            : null;
    }

    public BootedSlot DetectBooted()
    {
        try
        {
            return _detector.Detect(_bootedOverride ?? _config.BootedSlot);
        }
        catch (InvalidOperationException e)
        {
            throw new UpdaterException(ExitCode.Refused, e.Message);
        }
    }

    /// <summary>The version the booted side runs, from the state directory (null when nothing was ever installed).</summary>
    public string? BootedVersion() => VersionOf(DetectBooted().Bootname);

    private async Task<DeviceFacts> DeviceFactsAsync(CancellationToken cancellationToken)
    {
        string booted = DetectBooted().Bootname;
        string other = _config.Slots.OtherBootname(booted);
        var journal = _state.ReadJournal();
        string? otherVersion = journal is not null && journal.TargetBootname == other ? null : VersionOf(other);
        bool otherBad = false;
        if (otherVersion is not null)
        {
            var boot = await _bootloader.ReadStateAsync(cancellationToken).ConfigureAwait(false);
            otherBad = boot.Slot(other) is { Good: false };
        }
        return new DeviceFacts(MachineId.Read(_channel.MachineIdFile), _channel.Group, VersionOf(booted), other, otherVersion, otherBad);
    }

    /// <summary>A side's version when every slot of it records the same complete image.</summary>
    private string? VersionOf(string bootname)
    {
        var records = _config.Slots.All.Where(s => s.Bootname == bootname).Select(_state.ReadSlot).ToList();
        return records.Count > 0 && records.All(r => r is not null) && records.Select(r => r!.Version).Distinct().Count() == 1 ? records[0]!.Version : null;
    }
}
