// SPDX-License-Identifier: Apache-2.0
using Microsoft.Win32.SafeHandles;

namespace Updater.Transport;

/// <summary>A bundle in a local file (a USB stick, a download directory).</summary>
internal sealed class FileBundleSource : IBundleSource
{
    private readonly SafeFileHandle _handle;

    private FileBundleSource(string path, SafeFileHandle handle, long length)
    {
        Name = path;
        _handle = handle;
        Length = length;
    }

    public string Name { get; }

    public long Length { get; }

    public bool RereadIsCheap => true;

    public static FileBundleSource Open(string path)
    {
        try
        {
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return new FileBundleSource(path, handle, RandomAccess.GetLength(handle));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UpdaterException(ExitCode.Io, $"{path}: cannot open bundle: {e.Message}");
        }
    }

    public async Task ReadExactlyAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = await RandomAccess.ReadAsync(_handle, buffer[done..], offset + done, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new Bundles.BundleFormatException($"{Name}: truncated: needed {buffer.Length} bytes at offset {offset}, the file ends at {offset + done}");
            }
            done += n;
        }
    }

    public Task<Stream> OpenRangeAsync(long offset, long length, CancellationToken cancellationToken)
    {
        // Written so that no sum can overflow: offsets and lengths come from a header not yet verified.
        if (offset < 0 || length < 0 || offset > Length || length > Length - offset)
        {
            throw new Bundles.BundleFormatException($"{Name}: truncated: {length} bytes at offset {offset} lie beyond the end of the file ({Length} bytes)");
        }
        Stream stream = new FileRangeStream(this, offset, length);
        return Task.FromResult(stream);
    }

    public ValueTask DisposeAsync()
    {
        _handle.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A read-only window of the file; it ends where the range ends, whatever follows in the file.</summary>
    private sealed class FileRangeStream(FileBundleSource source, long offset, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            long left = length - _position;
            if (left <= 0)
            {
                return 0;
            }
            var target = buffer[..(int)Math.Min(buffer.Length, left)];
            int n = await RandomAccess.ReadAsync(source._handle, target, offset + _position, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new Bundles.BundleFormatException($"{source.Name}: truncated at byte {offset + _position}");
            }
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
