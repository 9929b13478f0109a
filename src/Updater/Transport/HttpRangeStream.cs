// SPDX-License-Identifier: Apache-2.0
namespace Updater.Transport;

/// <summary>
/// Exactly <c>length</c> bytes of an <see cref="HttpBundleSource"/> from <c>offset</c>, read in order. When
/// the connection drops, stalls or the server fails, the next attempt asks for the rest with a Range
/// request from the byte where the transfer stopped (with If-Range, so a changed bundle is not spliced in);
/// the reader sees only bytes, or one error after the retries are spent. Reads never ask the server for,
/// nor take from it, a byte past the end of the range.
/// </summary>
internal sealed class HttpRangeStream : Stream
{
    private readonly HttpBundleSource _source;
    private readonly long _offset;
    private readonly long _length;
    private long _position;
    private HttpResponseMessage? _response;
    private Stream? _body;
    private CancellationTokenSource? _idle;
    private CancellationTokenSource? _linked;
    private CancellationToken _linkedFor;
    private readonly TransferRate _rate;

    public HttpRangeStream(HttpBundleSource source, long offset, long length)
    {
        _source = source;
        _offset = offset;
        _length = length;
        // One judgement for the whole range, resumes included: dropping the connection does not reset it.
        _rate = new TransferRate(source.Options, $"{source.Name}: bytes {offset}-{offset + length - 1}");
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    /// <summary>How many times the transfer had to be reopened (the first request not counted).</summary>
    public int Resumes { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        long left = _length - _position;
        if (left <= 0 || buffer.Length == 0)
        {
            return 0;
        }
        var target = buffer[..(int)Math.Min(buffer.Length, left)];
        if (_body is not null && await TryReadFlowingAsync(target, cancellationToken).ConfigureAwait(false) is int read and > 0)
        {
            return read;
        }
        return await _source.Retry.ExecuteAsync(async ct =>
        {
            try
            {
                if (_body is null)
                {
                    await OpenAsync(ct).ConfigureAwait(false);
                }
                int n = await _body!.ReadAsync(target, ct).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new IOException($"the connection closed at bundle byte {_offset + _position}, {_length - _position} bytes before the end of the range");
                }
                _position += n;
                _rate.Received(n);
                return n;
            }
            catch
            {
                // Whatever failed, this response is done with: the next attempt starts a new one from _position.
                CloseResponse();
                throw;
            }
        }, $"{_source.Name}: bytes {_offset}-{_offset + _length - 1}", cancellationToken, _source.Deadline).ConfigureAwait(false);
    }

    /// <summary>
    /// The common case, kept cheap: the response is open and bytes are flowing, so read on with only an idle
    /// timeout (one reusable timer) instead of a pass through the retry pipeline per read. Any failure, a
    /// read that brings nothing within the request timeout, or the whole transfer's deadline closes the
    /// response and returns 0: the caller then goes the retry path, which resumes from the current position
    /// or, past the deadline, gives up. The minimum-rate rule is judged on every read, here too.
    /// </summary>
    private async ValueTask<int> TryReadFlowingAsync(Memory<byte> target, CancellationToken cancellationToken)
    {
        if (_idle is null || _idle.IsCancellationRequested || _linkedFor != cancellationToken)
        {
            ResetIdleTimer(cancellationToken);
        }
        try
        {
            _idle!.CancelAfter(_source.Retry.RequestTimeout);
            int n = await _body!.ReadAsync(target, _linked!.Token).ConfigureAwait(false);
            _idle.CancelAfter(Timeout.InfiniteTimeSpan);
            if (n > 0)
            {
                _position += n;
                _rate.Received(n);
                return n;
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && (e is OperationCanceledException || HttpRetry.IsTransient(e)))
        {
        }
        CloseResponse();
        return 0;
    }

    private void ResetIdleTimer(CancellationToken cancellationToken)
    {
        _linked?.Dispose();
        _idle?.Dispose();
        _idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _source.Retry.Time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _idle.Token, _source.Deadline.Token);
        _linkedFor = cancellationToken;
    }

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (_response is not null || _position > 0)
        {
            Resumes++;
        }
        long from = _offset + _position;
        var (response, skip) = await _source.SendRangeAsync(from, _offset + _length - 1, cancellationToken).ConfigureAwait(false);
        _response = response;
        _rate.Opened();
        _body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        if (skip > 0)
        {
            // The server sent the whole file: discard up to the offset, never more.
            var scratch = new byte[(int)Math.Min(skip, 64 * 1024)];
            for (long skipped = 0; skipped < skip;)
            {
                int want = (int)Math.Min(scratch.Length, skip - skipped);
                await HttpBundleSource.ReadFullyAsync(_body, scratch.AsMemory(0, want), skipped, cancellationToken, _rate).ConfigureAwait(false);
                skipped += want;
            }
        }
    }

    private void CloseResponse()
    {
        _rate.Closed();
        _body?.Dispose();
        _response?.Dispose();
        _body = null;
        _response = null;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseResponse();
            _linked?.Dispose();
            _idle?.Dispose();
        }
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
