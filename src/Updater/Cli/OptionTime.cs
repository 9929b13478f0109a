// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace Updater.Cli;

/// <summary>The one reading of a time given on the command line: ISO 8601 (UTC unless it says otherwise), or "now".</summary>
internal static class OptionTime
{
    public static DateTimeOffset Parse(string text, string option, DateTimeOffset now) =>
        text == "now" ? now
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t.ToUniversalTime()
        : throw new UpdaterException(ExitCode.Usage, $"{option}: '{text}' is not an ISO 8601 time (or 'now')");
}
