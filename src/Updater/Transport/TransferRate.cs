// SPDX-License-Identifier: Apache-2.0
namespace Updater.Transport;

/// <summary>
/// The minimum-rate rule (curl's --speed-limit/--speed-time): while a response body is being received, the
/// bytes of each window of <see cref="HttpTransportOptions.MinRateTime"/> must reach
/// <see cref="HttpTransportOptions.MinRate"/> per second, or the transfer is given up with an error naming
/// the rule. Time counts only while a body is open (never during backoff, nor while our side is busy between
/// transfers), and it carries over resumes of the same transfer, so a server cannot reset the judgement by
/// dropping the connection. A body that stalls completely is ended earlier by the per-read timeout; the
/// time it stalled still counts here.
/// </summary>
internal sealed class TransferRate
{
    private readonly long _minRate;
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;
    private readonly string _name;
    private TimeSpan _active;
    private long _openedAt = -1;
    private long _bytes;

    public TransferRate(HttpTransportOptions options, string name)
    {
        _minRate = options.MinRate;
        _window = options.MinRateTime;
        _time = options.Time;
        _name = name;
    }

    /// <summary>A response body starts arriving.</summary>
    public void Opened()
    {
        if (_openedAt < 0)
        {
            _openedAt = _time.GetTimestamp();
        }
    }

    /// <summary>The body is done with (ended, failed or abandoned); its time so far stays in the window.</summary>
    public void Closed()
    {
        if (_openedAt >= 0)
        {
            _active += _time.GetElapsedTime(_openedAt);
            _openedAt = -1;
        }
    }

    /// <summary>Counts <paramref name="bytes"/> and judges the window when it is over.</summary>
    /// <exception cref="UpdaterException">The window ended below the minimum rate.</exception>
    public void Received(int bytes)
    {
        _bytes += bytes;
        if (_minRate <= 0)
        {
            return;
        }
        var elapsed = _active + (_openedAt >= 0 ? _time.GetElapsedTime(_openedAt) : TimeSpan.Zero);
        if (elapsed < _window)
        {
            return;
        }
        double rate = _bytes / elapsed.TotalSeconds;
        if (rate < _minRate)
        {
            throw new UpdaterException(ExitCode.Io,
                $"{_name}: the transfer was slower than {_minRate} bytes/s for {OperationDeadline.Seconds(elapsed)} ({_bytes} bytes, http-min-rate over http-min-rate-time): giving up; run the command again to resume");
        }
        _bytes = 0;
        _active = TimeSpan.Zero;
        if (_openedAt >= 0)
        {
            _openedAt = _time.GetTimestamp();
        }
    }
}
