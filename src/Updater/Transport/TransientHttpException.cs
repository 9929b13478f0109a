// SPDX-License-Identifier: Apache-2.0
namespace Updater.Transport;

/// <summary>
/// A status the server may well not send next time: 408, 429 and most 5xx. Retried; a Retry-After the
/// server sent sets the delay before the next attempt.
/// </summary>
internal sealed class TransientHttpException : IOException
{
    public TransientHttpException(string message, TimeSpan? retryAfter)
        : base(message)
    {
        RetryAfter = retryAfter;
    }

    public TimeSpan? RetryAfter { get; }
}
