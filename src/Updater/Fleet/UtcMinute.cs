// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace Updater.Fleet;

/// <summary>How channel times are shown to people and in rollout reasons: UTC to the minute, ISO 8601.</summary>
internal static class UtcMinute
{
    public static string Format(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture);
}
