// SPDX-License-Identifier: Apache-2.0
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

    [Fact]
    public void One_status_mapping_retries_transient_statuses_after_retry_after_and_fails_the_rest_at_once()
    {
        var retry = new HttpRetry(new HttpTransportOptions(), "https://example.invalid/x");
        using var ok = new HttpResponseMessage(HttpStatusCode.PartialContent);
        retry.ThrowOnFailure(ok, "https://example.invalid/x");

        using var busy = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        busy.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
        var transient = Assert.Throws<TransientHttpException>(() => retry.ThrowOnFailure(busy, "https://example.invalid/x"));
        Assert.Equal("https://example.invalid/x: HTTP 503 Service Unavailable", transient.Message);
        Assert.Equal(TimeSpan.FromSeconds(7), transient.RetryAfter);

        using var missing = new HttpResponseMessage(HttpStatusCode.NotFound);
        var error = Assert.Throws<UpdaterException>(() => retry.ThrowOnFailure(missing, "https://example.invalid/x"));
        Assert.Equal((ExitCode.Io, "https://example.invalid/x: HTTP 404 Not Found"), (error.ExitCode, error.Message));
    }
}
