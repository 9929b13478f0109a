// SPDX-License-Identifier: Apache-2.0
namespace Updater.Transport;

/// <summary>
/// Text a server chose (a reason phrase, a header value, a URL it redirected to) as it may appear in a
/// message: cut to a length that cannot flood a log line. Escaping for the journal or a terminal happens
/// where messages are printed; this only bounds how much of the server's text a message carries.
/// </summary>
internal static class ServerText
{
    public const int MaxChars = 200;

    /// <summary>What follows the kept part of a cut text; <see cref="OriginHeaders.Redact"/> looks for a secret cut before it.</summary>
    public const string CutMarker = "...(";

    public static string Cap(string? text) => text is null ? "" : text.Length <= MaxChars ? text : text[..MaxChars] + $"{CutMarker}{text.Length - MaxChars} more characters)";
}
