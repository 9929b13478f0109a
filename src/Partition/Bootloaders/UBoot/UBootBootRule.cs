// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace Partition.Bootloaders.UBoot;

/// <summary>
/// The rule dist/boot.cmd runs, in C#: which slot it boots for a given environment and what it saves. The backend
/// derives <see cref="SlotBootState"/> from the same rule. Keep it in step with dist/boot.cmd (a test checks the
/// script's constants against it).
/// </summary>
/// <remarks>
/// Variables: BOOT_ORDER (slots, first tried first), BOOT_x_LEFT (boots left; 0 = never picked) and BOOT_x_TRIAL
/// (1 = a trial: each boot decrements BOOT_x_LEFT and saves; else committed: BOOT_x_LEFT is left alone and
/// nothing is written). BOOT_x_TRIAL is beyond RAUC's set: it makes a trial readable and spares committed boots
/// the environment write. U-Boot deletes a variable set to "", so a bad slot is BOOT_x_LEFT=0, never an empty
/// BOOT_ORDER.
/// </remarks>
public static class UBootBootRule
{
    public const string Order = "BOOT_ORDER";

    /// <summary>What boot.cmd sets for variables that are missing: a fresh install boots A, committed, and never B.</summary>
    public static IReadOnlyDictionary<string, string> Defaults { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Order] = "A B",
        ["BOOT_A_LEFT"] = "3",
        ["BOOT_A_TRIAL"] = "0",
        ["BOOT_B_LEFT"] = "0",
        ["BOOT_B_TRIAL"] = "0",
    };

    public static string Left(string slot) => $"BOOT_{slot}_LEFT";

    public static string Trial(string slot) => $"BOOT_{slot}_TRIAL";

    public static Dictionary<string, string> Effective(IReadOnlyDictionary<string, string> env)
    {
        var effective = new Dictionary<string, string>(env, StringComparer.Ordinal);
        foreach (var (name, value) in Defaults)
        {
            effective.TryAdd(name, value);
        }

        return effective;
    }

    /// <summary>One run of boot.cmd on <paramref name="env"/>, assuming saveenv succeeds.</summary>
    public static UBootBootDecision Decide(IReadOnlyDictionary<string, string> env)
    {
        // A fresh environment (no BOOT_ORDER) gets the defaults saved once, so fw_printenv sees them from then on.
        bool fresh = !env.ContainsKey(Order);
        var effective = Effective(env);
        foreach (var candidate in EnvironmentBootloader.SplitOrder(effective[Order]))
        {
            if (!EnvironmentBootloader.SupportedBootnames.Contains(candidate) || StrToL(effective[Left(candidate)]) <= 0)
            {
                continue;
            }

            if (effective[Trial(candidate)] == "1")
            {
                effective[Left(candidate)] = SetExprMinusOne(effective[Left(candidate)]);
                return new UBootBootDecision(candidate, effective, true);
            }

            return new UBootBootDecision(candidate, fresh ? effective : env, fresh);
        }

        return new UBootBootDecision(null, fresh ? effective : env, fresh);
    }

    public static SlotBootState SlotState(IReadOnlyDictionary<string, string> env, string slot)
    {
        var effective = Effective(env);
        long left = StrToL(effective[Left(slot)]);
        bool trial = effective[Trial(slot)] == "1";
        if (trial)
        {
            return new SlotBootState(slot, true, (int)Math.Clamp(left, 0, int.MaxValue - 1), true);
        }

        return left > 0
            ? new SlotBootState(slot, true, SlotBootState.Uncounted, false)
            : new SlotBootState(slot, false, 0, false);
    }

    /// <summary>`test ${x} -gt 0` in U-Boot reads x with simple_strtol(x, NULL, 10): leading digits, else 0.</summary>
    internal static long StrToL(string text)
    {
        int i = 0;
        bool negative = false;
        if (i < text.Length && text[i] == '-')
        {
            negative = true;
            i++;
        }

        long value = 0;
        for (; i < text.Length && text[i] is >= '0' and <= '9' && value < int.MaxValue; i++)
        {
            value = (value * 10) + (text[i] - '0');
        }

        return negative ? -value : value;
    }

    /// <summary>`setexpr x ${x} - 1` reads hex (simple_strtoul base 16) and writes "%lx": the same as decimal for 1-9.</summary>
    internal static string SetExprMinusOne(string text)
    {
        ReadOnlySpan<char> digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text.AsSpan(2) : text;
        ulong value = 0;
        foreach (char c in digits)
        {
            int d = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : c is >= 'A' and <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0)
            {
                break;
            }

            value = unchecked((value * 16) + (ulong)d);
        }

        return unchecked(value - 1).ToString("x", CultureInfo.InvariantCulture);
    }
}
