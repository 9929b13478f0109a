// SPDX-License-Identifier: Apache-2.0
using Updater.Bundles;
using Updater.Config;
using Updater.Trust;
using Updater.Device;
using Updater.Install;
using Updater.State;
using Updater.Transport;

namespace Updater.Fleet;

/// <summary>
/// The device side of a channel: fetch (conditionally), verify, judge freshness, decide the rollout, and
/// install what it allows through the same pipeline as `updater install URL`. Used by `updater check` and
/// by the daemon, which keeps one instance so an unchanged channel costs a 304. Expiry and rollout waves are judged
/// by the device's <see cref="Clock.TrustedClock"/> (<see cref="DeviceContext.Clock"/>); <c>time</c> drives the
/// transport's timers and the installer.
/// </summary>
internal sealed class ChannelClient
{
    private readonly DeviceContext _device;
    private readonly ChannelConfig _channel;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ChannelFetcher _fetcher;
    private readonly ChannelStore _store;
    private VerifiedChannel? _last;
    private TrustRoot? _root;

    public ChannelClient(DeviceContext device, HttpClient http, TimeProvider time, string? channelLocation = null, Action<string>? log = null)
    {
        _device = device;
        _channel = device.Config.RequireChannel();
        _http = http;
        _time = time;
        Transport = _channel.TransportOptions(time, log);
        _fetcher = new ChannelFetcher(channelLocation ?? _channel.Url, http, Transport);
        _store = new ChannelStore(device.State, device.Config.Compatible, _channel.Name, device.Clock);
    }

    public HttpTransportOptions Transport { get; }

    public ChannelConfig Channel => _channel;

    public DeviceContext Device => _device;

    public async Task<ChannelCheck> CheckAsync(CancellationToken cancellationToken)
    {
        // Read first: the running image's build time is a floor of the clock every judgement below uses.
        var device = await _device.ReadAsync(cancellationToken).ConfigureAwait(false);
        // The root first, as TUF orders it: a rotation that revokes a channel key must reach the device before
        // a channel file that key signed can be believed.
        var (root, rotated) = await _device.Trust.UpdateAsync(_fetcher.RootSource(), cancellationToken).ConfigureAwait(false);
        // The root's issued time is signed: "now" never runs behind it, and its expiry is judged by that clock.
        _device.Clock.AddFloor(root.Document.Issued, $"trust root version {root.Version}");
        root.RequireCurrent(_device.Clock.GetUtcNow(), _fetcher.Name);
        if (rotated.Count > 0 || _root?.Version != root.Version)
        {
            _last = null;
            _root = root;
        }
        var stored = _store.ReadState();
        _last ??= stored?.ETag is not null ? TryReadAccepted(root) : null;
        var fetch = await _fetcher.FetchAsync(_last is not null ? stored?.ETag : null, cancellationToken).ConfigureAwait(false);
        VerifiedChannel channel;
        if (fetch.NotModified && _last is not null)
        {
            channel = _last;
            await _store.CheckNotExpiredAsync(channel, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            channel = VerifiedChannel.Open(fetch.Bytes ?? [], root, _fetcher.Name);
            await _store.AcceptAsync(channel, fetch.ETag, cancellationToken).ConfigureAwait(false);
        }
        _last = channel;
        var facts = DeviceFacts.From(device, FleetDeviceId.Read(_channel.MachineIdFile), _channel.Group);
        // Read after the channel was accepted: its issued time is a floor of "now" (with [system] clock = signed, the
        // waves move as the vendor issues channels).
        var clock = _device.Clock.Read();
        var decision = RolloutPolicy.Decide(channel.Document, facts, clock.Now);
        return new ChannelCheck(channel, decision, fetch.NotModified, _fetcher.ResolveBundle(channel.Document.Release.BundleUrl), clock);
    }

    /// <summary>
    /// Installs the release a check allowed; the bundle must be the one the signed channel names. The installer
    /// verifies it once and checks it against the channel before anything is written.
    /// </summary>
    public async Task<InstallResult> InstallAsync(ChannelCheck check, IProgress<InstallProgress>? progress, CancellationToken cancellationToken)
    {
        var release = check.Channel.Document.Release;
        await using var source = await BundleSources.OpenAsync(check.BundleLocation, Transport, _http, cancellationToken).ConfigureAwait(false);
        if (source.Length != release.BundleSize)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{source.Name}: the bundle has {source.Length} bytes, channel '{check.Channel.Document.Channel}' version {check.Channel.Document.Version} says {release.BundleSize}: refusing it");
        }
        var installer = new Installer(_device, _time);
        return await installer.InstallAsync(source, new InstallOptions
        {
            Expect = bundle => CheckAgainstChannel(bundle, source.Name, release),
            HookOutput = Hooks.HookEcho.StandardError,
        }, progress, cancellationToken).ConfigureAwait(false);
    }

    private static void CheckAgainstChannel(VerifiedBundle bundle, string name, ChannelRelease release)
    {
        if (bundle.Manifest.Version != release.Version)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{name}: the bundle is version {bundle.Manifest.Version}, the channel names {release.Version}: refusing it");
        }
        // Always pinned (format 2): a different bundle, however validly signed, put behind the same URL is refused.
        if (release.ManifestSha256 != bundle.ManifestSha256)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{name}: the bundle's manifest hashes to {bundle.ManifestSha256}, the channel pins {release.ManifestSha256}: refusing it");
        }
    }

    /// <summary>
    /// The stored channel, for a conditional request; null (fetch it whole) when it no longer verifies, e.g.
    /// after a root rotation revoked its signing key: a 304 must never make the device act on such a file.
    /// </summary>
    private VerifiedChannel? TryReadAccepted(TrustRoot root)
    {
        try
        {
            return _store.ReadAccepted(root);
        }
        catch (UpdaterException)
        {
            return null;
        }
    }
}
