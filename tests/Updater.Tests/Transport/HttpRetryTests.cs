using System.Net;
using Polly.Timeout;
using Updater.Transport;

namespace Updater.Tests.Transport;

/// <summary>Which failures are worth another attempt.</summary>
public sealed class HttpRetryTests
{
    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.BadGateway, true)]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.RequestTimeout, true)]
    [InlineData(HttpStatusCode.NotImplemented, false)]
    [InlineData(HttpStatusCode.NotFound, false)]
    [InlineData(HttpStatusCode.Forbidden, false)]
    public void Statuses(HttpStatusCode status, bool transient) => Assert.Equal(transient, HttpRetry.IsTransientStatus(status));

    [Fact]
    public void Exceptions()
    {
        Assert.True(HttpRetry.IsTransient(new HttpRequestException(HttpRequestError.ConnectionError, "refused")));
        Assert.True(HttpRetry.IsTransient(new IOException("reset")));
        Assert.True(HttpRetry.IsTransient(new TimeoutRejectedException()));
        Assert.False(HttpRetry.IsTransient(new HttpRequestException(HttpRequestError.SecureConnectionError, "untrusted certificate")));
        Assert.False(HttpRetry.IsTransient(new UpdaterException(ExitCode.BadInput, "lying server")));
        Assert.False(HttpRetry.IsTransient(new OperationCanceledException()));
    }

    [Fact]
    public async Task A_failure_that_is_not_transient_is_one_updater_error_after_one_attempt()
    {
        var retry = new HttpRetry(new HttpTransportOptions(), "https://example.invalid/x");
        int attempts = 0;
        var error = await Assert.ThrowsAsync<UpdaterException>(() => retry.ExecuteAsync<bool>(_ =>
        {
            attempts++;
            throw new HttpRequestException(HttpRequestError.SecureConnectionError, "the remote certificate is invalid");
        }, "https://example.invalid/x", CancellationToken.None));

        Assert.Equal(1, attempts);
        Assert.Equal(ExitCode.Io, error.ExitCode);
        Assert.Contains("certificate", error.Message, StringComparison.Ordinal);
    }
}
