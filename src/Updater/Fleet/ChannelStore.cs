// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Partition.Storage;
using Updater.Trust;
using Updater.State;

namespace Updater.Fleet;

/// <summary>
/// Judges a verified channel's freshness and remembers the newest one accepted, in the state directory
/// (<c>channel/state.json</c> and the file itself as <c>channel/channel.signed</c>, each replaced atomically).
/// Refused: a lower version than accepted before (rollback attack), the same version with other content,
/// an expired file (freeze attack), a channel for another board. A refused file changes nothing on disk.
/// </summary>
internal sealed class ChannelStore
{
    private readonly string _directory;
    private readonly string _compatible;
    private readonly TimeProvider _time;

    public ChannelStore(StateDirectory state, string compatible, TimeProvider time)
    {
        _directory = state.ChannelDirectory;
        _compatible = compatible;
        _time = time;
    }

    private string StatePath => Path.Combine(_directory, "state.json");

    private string FilePath => Path.Combine(_directory, "channel.signed");

    public ChannelState? ReadState()
    {
        if (!File.Exists(StatePath))
        {
            return null;
        }
        try
        {
            // Bounded like the channel file it describes: a state file is a few hundred bytes.
            return JsonSerializer.Deserialize(SmallFile.Read(StatePath, VerifiedChannel.MaxFileBytes, "channel state file"), ChannelJsonContext.Default.ChannelState);
        }
        catch (JsonException e)
        {
            throw new UpdaterException(ExitCode.Io, $"{StatePath}: state file is corrupt: {JsonProblem.Describe(e)}");
        }
    }

    /// <summary>The last accepted channel, verified again (a restart after a 304 needs it), or null.</summary>
    public VerifiedChannel? ReadAccepted(TrustRoot root)
    {
        if (!File.Exists(FilePath) || ReadState() is null)
        {
            return null;
        }
        return VerifiedChannel.Open(File.ReadAllBytes(FilePath), root, FilePath);
    }

    /// <summary>Checks <paramref name="channel"/> against the clock and the accepted floor; stores it when it is newer.</summary>
    public async Task AcceptAsync(VerifiedChannel channel, string? etag, CancellationToken cancellationToken)
    {
        var d = channel.Document;
        var now = _time.GetUtcNow();
        if (d.Compatible != _compatible)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{channel.Source}: channel '{d.Channel}' is for '{d.Compatible}', this device is '{_compatible}'");
        }
        if (now >= d.Expires)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{channel.Source}: channel '{d.Channel}' version {d.Version} expired at {UtcMinute.Format(d.Expires)} (now {UtcMinute.Format(now)}): refusing a stale channel that may be replayed to freeze this device; the vendor must publish a fresh one");
        }
        var state = ReadState();
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
            if (d.Version == state.Version && etag == state.ETag)
            {
                return;
            }
        }
        Directory.CreateDirectory(_directory);
        // The file first, then the state that vouches for it: after a crash the state never names a file that is not there.
        await AtomicFile.WriteAsync(FilePath, channel.FileBytes, cancellationToken).ConfigureAwait(false);
        var next = new ChannelState
        {
            Channel = d.Channel,
            Version = d.Version,
            PayloadSha256 = channel.PayloadSha256,
            Expires = d.Expires,
            AcceptedAt = state is not null && state.Version == d.Version ? state.AcceptedAt : now,
            ETag = etag,
        };
        await AtomicFile.WriteAsync(StatePath, JsonSerializer.SerializeToUtf8Bytes(next, ChannelJsonContext.Default.ChannelState), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A cached channel (after a 304) is still only usable until it expires.</summary>
    public void CheckNotExpired(VerifiedChannel channel)
    {
        var now = _time.GetUtcNow();
        if (now >= channel.Document.Expires)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{channel.Source}: channel '{channel.Document.Channel}' version {channel.Document.Version} expired at {UtcMinute.Format(channel.Document.Expires)} and the server still offers no newer one: refusing to act on a stale channel");
        }
    }

}
