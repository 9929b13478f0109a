// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace Partition.Bootloaders;

/// <summary>
/// The committed anti-rollback floor in the bootloader environment: <c>updater_security_floor</c>, a decimal
/// security version. It lives there because a lost or wiped state directory cannot reach it, and it is written in
/// the same atomic environment write as the commit it belongs to (a mark-good or a permanent activation), never
/// lowered. The boot scripts do not read it (docs/bootloaders.md, docs/anti-rollback.md).
/// </summary>
public static class SecurityFloorVariable
{
    public const string Name = "updater_security_floor";

    /// <summary>More digits than any security version a manifest carries; 18 always fit a long.</summary>
    public const int MaxDigits = 18;

    /// <summary>
    /// The floor <paramref name="variables"/> hold: null when the variable is unset. A value that is not 1 to
    /// <see cref="MaxDigits"/> decimal digits (empty, negative, signed, overlong, anything else) is an error that
    /// names the variable and quotes the value: a floor that cannot be read must never read as 0.
    /// </summary>
    /// <param name="where">The environment's file or device, for the error.</param>
    /// <exception cref="BootEnvironmentException">The value is malformed.</exception>
    public static long? Read(IReadOnlyDictionary<string, string> variables, string where)
    {
        ArgumentNullException.ThrowIfNull(variables);
        if (!variables.TryGetValue(Name, out var value))
        {
            return null;
        }
        return TryParse(value, out long floor)
            ? floor
            : throw new BootEnvironmentException(where, null, $"{Name} is '{Excerpt(value)}', expected a security version (1 to {MaxDigits} decimal digits): refusing to guess the anti-rollback floor; set it with the bootloader's tool (docs/anti-rollback.md)");
    }

    public static bool TryParse(string value, out long floor)
    {
        ArgumentNullException.ThrowIfNull(value);
        floor = 0;
        return value.Length is > 0 and <= MaxDigits && value.All(char.IsAsciiDigit) &&
               long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out floor);
    }

    public static string Format(long floor) => floor.ToString(CultureInfo.InvariantCulture);

    private static string Excerpt(string value)
    {
        string shown = new(value.Take(40).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return value.Length > 40 ? shown + "..." : shown;
    }
}
