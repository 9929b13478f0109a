// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Partition.Storage;
using Updater.Clock;
using Updater.Trust;
using Updater.State;

namespace Updater.Fleet;

/// <summary>
/// Judges a verified channel's freshness and remembers the newest one accepted, per channel name, in the state
/// directory (<c>channel/&lt;name&gt;/state.json</c> and the file itself as <c>channel/&lt;name&gt;/channel.signed</c>,
/// each replaced atomically). Refused: a channel of another name than the device follows (one channel's file served
/// in another's place), a lower version than accepted before (rollback attack), the same version with other
/// content, an expired file (freeze attack) by the <see cref="TrustedClock"/>, a channel for another board. A refused
/// file changes nothing on disk. An accepted file's <c>issued</c> time becomes a floor of the clock.
/// </summary>
internal sealed class ChannelStore
{
    private readonly StateDirectory _state;
    private readonly string _directory;
    private readonly string _compatible;
    private readonly string _name;
    private readonly TrustedClock _clock;

    /// <param name="name">The [channel] name this device follows: the only channel accepted, and whose floors are used.</param>
    public ChannelStore(StateDirectory state, string compatible, string name, TrustedClock clock)
    {
        _state = state;
        _directory = state.ChannelDirectoryOf(name);
        _compatible = compatible;
        _name = name;
        _clock = clock;
    }

    private string StatePath => Path.Combine(_directory, "state.json");

    private string FilePath => Path.Combine(_directory, "channel.signed");

    /// <summary>Before floors were kept per name (format 1): channel/state.json, still the floor of the channel it names.</summary>
    private string LegacyStatePath => Path.Combine(_state.ChannelDirectory, "state.json");

    /// <summary>The floor of this channel name: its own state, else a legacy channel/state.json of the same name, else null.</summary>
    public ChannelState? ReadState()
    {
        if (ReadStateFile(StatePath) is { } state)
        {
            return state;
        }
        return ReadStateFile(LegacyStatePath) is { } legacy && legacy.Channel == _name ? legacy with { ETag = null } : null;
    }

    private static ChannelState? ReadStateFile(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            // Bounded like the channel file it describes: a state file is a few hundred bytes.
            return JsonSerializer.Deserialize(SmallFile.Read(path, VerifiedChannel.MaxFileBytes, "channel state file"), ChannelJsonContext.Default.ChannelState);
        }
        catch (JsonException e)
        {
            throw new UpdaterException(ExitCode.Io, $"{path}: state file is corrupt: {JsonProblem.Describe(e)}");
        }
    }

    /// <summary>The last accepted channel, verified again (a restart after a 304 needs it), or null.</summary>
    public VerifiedChannel? ReadAccepted(TrustRoot root)
    {
        if (!File.Exists(FilePath) || ReadStateFile(StatePath) is null)
        {
            return null;
        }
        return VerifiedChannel.Open(File.ReadAllBytes(FilePath), root, FilePath);
    }

    /// <summary>Checks <paramref name="channel"/> against the clock and the accepted floor; stores it when it is newer.</summary>
    public async Task AcceptAsync(VerifiedChannel channel, string? etag, CancellationToken cancellationToken)
    {
        var d = channel.Document;
        if (d.Channel != _name)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{channel.Source}: the file is channel '{d.Channel}', this device follows channel '{_name}' ([channel] name): refusing a channel served in another's place");
        }
        if (d.Compatible != _compatible)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{channel.Source}: channel '{d.Channel}' is for '{d.Compatible}', this device is '{_compatible}'");
        }
        var clock = _clock.Read();
        var state = ReadState();
        if (clock.Now >= d.Expires)
        {
            if (state?.PayloadSha256 == channel.PayloadSha256)
            {
                await SawExpireAsync(channel, cancellationToken).ConfigureAwait(false);
            }
            throw Expired(channel, clock, "refusing a stale channel that may be replayed to freeze this device");
        }
        if (state is not null)
        {
            if (d.Version < state.Version)
            {
                throw new UpdaterException(ExitCode.BadInput, $"{channel.Source}: channel '{d.Channel}' version {d.Version} is older than version {state.Version} accepted at {UtcMinute.Format(state.AcceptedAt)}: refusing a rolled-back channel");
            }
            if (d.Version == state.Version && channel.PayloadSha256 != state.PayloadSha256)
            {
                throw new UpdaterException(ExitCode.BadInput, $"{channel.Source}: channel '{d.Channel}' version {d.Version} differs from the version {d.Version} accepted at {UtcMinute.Format(state.AcceptedAt)}: a changed channel must carry a higher version");
            }
        }
        if (state is null || d.Version != state.Version || etag != state.ETag || !File.Exists(StatePath))
        {
            await StoreAsync(channel, etag, state, clock.Now, cancellationToken).ConfigureAwait(false);
        }
        // Accepted: from now on this device's "now" is never earlier than when the vendor signed this file.
        await _clock.ObserveAsync(d.Issued, $"channel '{d.Channel}' version {d.Version} (issued)", cancellationToken).ConfigureAwait(false);
    }

    private async Task StoreAsync(VerifiedChannel channel, string? etag, ChannelState? state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var d = channel.Document;
        Directory.CreateDirectory(_directory);
        // The file first, then the state that vouches for it: after a crash the state never names a file that is not there.
        await AtomicFile.WriteAsync(FilePath, channel.FileBytes, cancellationToken).ConfigureAwait(false);
        var next = new ChannelState
        {
            Channel = d.Channel,
            Version = d.Version,
            PayloadSha256 = channel.PayloadSha256,
            Issued = d.Issued,
            Expires = d.Expires,
            AcceptedAt = state is not null && state.Version == d.Version ? state.AcceptedAt : now,
            ETag = etag,
        };
        await AtomicFile.WriteAsync(StatePath, JsonSerializer.SerializeToUtf8Bytes(next, ChannelJsonContext.Default.ChannelState), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A cached channel (after a 304) is still only usable until it expires.</summary>
    public async Task CheckNotExpiredAsync(VerifiedChannel channel, CancellationToken cancellationToken)
    {
        var clock = _clock.Read();
        if (clock.Now >= channel.Document.Expires)
        {
            await SawExpireAsync(channel, cancellationToken).ConfigureAwait(false);
            throw Expired(channel, clock, "the server still offers no newer one: refusing to act on a stale channel");
        }
    }

    /// <summary>
    /// The channel this device accepted has expired in its eyes: its expiry (a signed time) becomes a floor of "now",
    /// so a clock later reset to 1970 cannot make this device accept the same file again. Only the device's own
    /// accepted channel counts, never a file a server just offered: an attacker's replay changes nothing on disk.
    /// </summary>
    private Task SawExpireAsync(VerifiedChannel channel, CancellationToken cancellationToken) =>
        _clock.ObserveAsync(channel.Document.Expires, $"channel '{channel.Document.Channel}' version {channel.Document.Version} (seen expired)", cancellationToken);

    /// <summary>
    /// One message for an expired channel: the expiry, and "now" with where it came from. A device clock ahead of the
    /// real time expires every channel early, so the message names the clock and says it may be wrong.
    /// </summary>
    private static UpdaterException Expired(VerifiedChannel channel, ClockReading clock, string what)
    {
        var d = channel.Document;
        string now = clock.Describe();
        string hint = clock.Correction is null
            ? $"; if the device clock is wrong (ahead), set it right, otherwise the vendor must publish a fresh one"
            : "; the vendor must publish a fresh one";
        return new UpdaterException(ExitCode.BadInput, $"{channel.Source}: channel '{d.Channel}' version {d.Version} expired at {UtcMinute.Format(d.Expires)} and {now}: {what}{hint}");
    }
}
