// SPDX-License-Identifier: Apache-2.0
using System.Net.Http.Headers;

namespace Updater.Transport;

/// <summary>
/// What the server says identifies the bundle's bytes: a strong ETag, else Last-Modified. Every later
/// response is compared with the first one's, and If-Range carries it, so a different bundle published
/// behind the same URL mid-transfer is caught before its bytes are mixed with the old one's.
/// </summary>
internal sealed record RemoteIdentity(string? ETag, DateTimeOffset? LastModified)
{
    public static RemoteIdentity Of(HttpResponseMessage response)
    {
        var etag = response.Headers.ETag;
        return new RemoteIdentity(etag is { IsWeak: false } ? etag.Tag : null, response.Content.Headers.LastModified);
    }

    public bool IsKnown => ETag is not null || LastModified is not null;

    /// <summary>The If-Range value: only a strong ETag or a date may be used there (RFC 9110, 13.1.5).</summary>
    public RangeConditionHeaderValue? IfRange() =>
        ETag is not null ? new RangeConditionHeaderValue(new EntityTagHeaderValue(ETag))
        : LastModified is { } date ? new RangeConditionHeaderValue(date)
        : null;

    /// <summary>Why <paramref name="later"/> is not the same representation, or null when nothing says so.</summary>
    public string? Difference(RemoteIdentity later)
    {
        if (ETag is not null && later.ETag is not null && ETag != later.ETag)
        {
            return $"its ETag changed from {ServerText.Cap(ETag)} to {ServerText.Cap(later.ETag)}";
        }
        if (LastModified is { } before && later.LastModified is { } after && before != after)
        {
            return $"its Last-Modified changed from {before:R} to {after:R}";
        }
        return null;
    }
}
