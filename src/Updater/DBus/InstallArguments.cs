// SPDX-License-Identifier: Apache-2.0
using Tmds.DBus.Protocol;
using Updater.Text;
using Updater.Transport;

namespace Updater.DBus;

/// <summary>
/// Install's arguments from the bus, checked before anything runs: the source is an absolute path or an
/// http(s) URL (the service's working directory is no caller's, so a relative path would name a file the
/// caller never meant), and the options are the documented keys with boolean values, nothing else.
/// </summary>
internal static class InstallArguments
{
    private const string Verify = "verify";
    private const string AllowDowngrade = "allow-downgrade";
    private const string InitialFloor = "initial-floor";
    private const int MaxSource = 4096;

    /// <summary>Null when the arguments are acceptable; otherwise what is wrong, for InvalidArgs.</summary>
    public static string? Check(string source, Dictionary<string, VariantValue> options)
    {
        if (source.Length is 0 or > MaxSource || source.Contains('\0', StringComparison.Ordinal))
        {
            return $"source must be 1 to {MaxSource} characters without NUL";
        }
        if (!SafeUrl.IsHttp(source) && !Path.IsPathFullyQualified(source))
        {
            return $"source '{SafeText.Escape(source, 256)}' is neither an absolute path nor an http:// or https:// URL";
        }
        foreach (var (key, value) in options)
        {
            if (key is not (Verify or AllowDowngrade or InitialFloor))
            {
                return $"unknown option '{SafeText.Escape(key, 64)}'; the options are {Verify}, {AllowDowngrade} and {InitialFloor}";
            }
            if (key == InitialFloor)
            {
                if (Unwrapped(value).Type != VariantValueType.Int64 || Unwrapped(value).GetInt64() < 0)
                {
                    return $"option '{key}' takes a non-negative int64 (x)";
                }
                continue;
            }
            if (Unwrapped(value).Type != VariantValueType.Bool)
            {
                return $"option '{key}' takes a boolean (b), not {Unwrapped(value).Type}";
            }
        }
        return null;
    }

    /// <summary>The options of arguments <see cref="Check"/> accepted.</summary>
    public static InstallRequest Read(Dictionary<string, VariantValue> options) =>
        new(Flag(options, Verify), Flag(options, AllowDowngrade),
            options.TryGetValue(InitialFloor, out var floor) ? Unwrapped(floor).GetInt64() : null);

    private static bool Flag(Dictionary<string, VariantValue> options, string key) =>
        options.TryGetValue(key, out var value) && Unwrapped(value).GetBool();

    private static VariantValue Unwrapped(VariantValue value) =>
        value.Type == VariantValueType.Variant ? value.GetVariantValue() : value;
}
