// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Definitions;

namespace HealthCheck.Checks;

/// <summary>
/// Sends GET to a URL and passes when the status is in the expected range (2xx unless configured). Redirects are
/// not followed (a redirect is an answer, and not a 2xx one) and no proxy from the environment is used: health
/// endpoints live on the device or its own network.
/// </summary>
internal sealed class HttpProbe(Uri url, HttpStatusRange expected) : IHealthProbe
{
    public async ValueTask<ProbeResult> ProbeAsync(CancellationToken cancellationToken)
    {
        // A fresh handler per attempt: no pooled connection from a failed attempt is reused, and nothing lingers.
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false };
        // The runner's deadline cancels the token; HttpClient's own timeout would race it.
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return expected.Contains(status)
                ? ProbeResult.Pass()
                : ProbeResult.Fail($"GET {url} answered {status} {response.ReasonPhrase}, expected {expected}");
        }
        catch (HttpRequestException e)
        {
            return ProbeResult.Fail($"GET {url} failed: {e.Message}");
        }
    }
}
