// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Parsing;

/// <summary>
/// The one boolean syntax of <see cref="IniDocument"/> files: systemd's, case-insensitive: <c>1 yes y true t on</c>
/// and <c>0 no n false f off</c>. systemd's rather than GKeyFile's (<c>true</c>/<c>false</c> only) because the
/// drop-ins are written by people who write unit files, and existing files say <c>yes</c> and <c>no</c>.
/// </summary>
public static class IniBoolean
{
    /// <summary>For error messages: what a boolean may be.</summary>
    public const string Expected = "yes or no (also true/false, on/off, 1/0)";

    public static bool TryParse(string text, out bool value)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text.ToLowerInvariant())
        {
            case "1" or "yes" or "y" or "true" or "t" or "on":
                value = true;
                return true;
            case "0" or "no" or "n" or "false" or "f" or "off":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
