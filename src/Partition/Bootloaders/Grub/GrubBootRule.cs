// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.Grub;

/// <summary>
/// The rule dist/grub.cfg runs, in C#: which slot it boots for a given grubenv and what it writes back. The
/// backend derives <see cref="SlotBootState"/> from the same rule, so <see cref="BootState.NextBoot"/> predicts
/// what GRUB will pick. Keep it in step with dist/grub.cfg (a test checks the script's constants against it).
/// </summary>
/// <remarks>
/// Variables per slot X: X_OK (1 = may boot), X_TRY (tries counted in the pending trial, RAUC's TRY) and X_TRIAL
/// (tries the pending trial allows, 1-9; 0 = committed). X_TRIAL is beyond RAUC's set: without it a committed
/// slot and a trial that has not been tried yet look the same (OK=1, TRY=0), and committed boots would have to
/// be counted and written on every boot.
/// </remarks>
public static class GrubBootRule
{
    public const string Order = "ORDER";

    /// <summary>What grub.cfg sets before load_env: a fresh install boots A, committed, and never B.</summary>
    public static IReadOnlyDictionary<string, string> Defaults { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Order] = "A B",
        ["A_OK"] = "1",
        ["A_TRY"] = "0",
        ["A_TRIAL"] = "0",
        ["B_OK"] = "0",
        ["B_TRY"] = "0",
        ["B_TRIAL"] = "0",
    };

    public static string Ok(string slot) => slot + "_OK";

    public static string Try(string slot) => slot + "_TRY";

    public static string Trial(string slot) => slot + "_TRIAL";

    /// <summary>The variables as grub.cfg sees them after load_env: its defaults, overridden by what grubenv holds.</summary>
    public static Dictionary<string, string> Effective(IReadOnlyDictionary<string, string> grubenv)
    {
        var effective = new Dictionary<string, string>(Defaults, StringComparer.Ordinal);
        foreach (var name in Defaults.Keys)
        {
            if (grubenv.TryGetValue(name, out var value))
            {
                effective[name] = value;
            }
        }

        return effective;
    }

    /// <summary>One run of grub.cfg on <paramref name="grubenv"/>, assuming save_env succeeds.</summary>
    public static GrubBootDecision Decide(IReadOnlyDictionary<string, string> grubenv)
    {
        var env = Effective(grubenv);
        foreach (var candidate in EnvironmentBootloader.SplitOrder(env[Order]))
        {
            if (!EnvironmentBootloader.SupportedBootnames.Contains(candidate) || env[Ok(candidate)] != "1")
            {
                continue;
            }

            string trial = env[Trial(candidate)];
            if (trial == "0")
            {
                return new GrubBootDecision(candidate, new Dictionary<string, string>(), null);
            }

            if (NextTry(env[Try(candidate)], trial) is { } next)
            {
                var saved = new Dictionary<string, string> { [Try(candidate)] = next.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                return new GrubBootDecision(candidate, saved, next);
            }
        }

        return new GrubBootDecision(null, new Dictionary<string, string>(), null);
    }

    /// <summary>The slot's state as the rule sees it: Bootable exactly when grub.cfg would boot it if it came first in ORDER.</summary>
    public static SlotBootState SlotState(IReadOnlyDictionary<string, string> grubenv, string slot)
    {
        var env = Effective(grubenv);
        bool good = env[Ok(slot)] == "1";
        string trial = env[Trial(slot)];
        if (!good)
        {
            return new SlotBootState(slot, false, 0, false);
        }

        if (trial == "0")
        {
            return new SlotBootState(slot, true, SlotBootState.Uncounted, false);
        }

        int left = NextTry(env[Try(slot)], trial) is { } next ? trial[0] - '0' - (next - 1) : 0;
        return new SlotBootState(slot, true, left, true);
    }

    /// <summary>grub.cfg's counter table: TRY and TRIAL single digits, TRIAL 1-9, TRY below TRIAL; else no try left.</summary>
    private static int? NextTry(string tryCount, string trial)
    {
        if (trial.Length != 1 || trial[0] is < '1' or > '9' || tryCount.Length != 1 || tryCount[0] is < '0' or > '9')
        {
            return null;
        }

        int used = tryCount[0] - '0';
        return used < trial[0] - '0' ? used + 1 : null;
    }
}
