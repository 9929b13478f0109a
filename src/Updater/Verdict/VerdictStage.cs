// SPDX-License-Identifier: Apache-2.0
namespace Updater.Verdict;

/// <summary>
/// Which part of the verdict a run gives. systemd's boot assessment splits it: the checks run before
/// boot-complete.target, so any unit RequiredBy= it can veto, and the commit after the target is reached, as
/// systemd-bless-boot does.
/// </summary>
internal enum VerdictStage
{
    /// <summary>Checks, then commit or mark bad: `updater health`.</summary>
    Whole,

    /// <summary>Checks; a trial's pass is recorded for this boot, a fail marks bad: `updater health --defer-commit`.</summary>
    Checks,

    /// <summary>The target reached and this boot's pass recorded: commit; the target failed: mark bad: `updater commit`.</summary>
    Commit,
}
