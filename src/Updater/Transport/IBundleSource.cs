// SPDX-License-Identifier: Apache-2.0
namespace Updater.Transport;

/// <summary>
/// Random access to a bundle's bytes: a local file or an HTTP server with Range requests. Every read is
/// bounded by a length the caller already trusts (the header's, then the signed manifest's), so a source
/// that has more or different bytes can never make the reader take more than that.
/// </summary>
internal interface IBundleSource : IAsyncDisposable
{
    /// <summary>For messages: a path or a URL (without credentials).</summary>
    string Name { get; }

    /// <summary>Total length of the bundle in bytes.</summary>
    long Length { get; }

    /// <summary>
    /// Reading the payload twice costs little (a local file, not a network transfer): an install then checks
    /// every payload as a whole before its first write, so a corrupt bundle leaves the slot untouched.
    /// </summary>
    bool RereadIsCheap { get; }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>; a short bundle is an error.</summary>
    Task ReadExactlyAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>
    /// A stream of exactly <paramref name="length"/> bytes from <paramref name="offset"/>, read sequentially.
    /// A network source resumes a dropped transfer inside this stream; the caller only sees bytes or an error.
    /// </summary>
    Task<Stream> OpenRangeAsync(long offset, long length, CancellationToken cancellationToken);
}
