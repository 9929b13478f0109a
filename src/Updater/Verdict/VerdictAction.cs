// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Verdict;

/// <summary>What `updater health` did with the booted slot after the verdict.</summary>
internal enum VerdictAction
{
    /// <summary>Pass on a slot already committed: nothing to do.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>Pass on a trial boot: the slot was marked good, its trial is over.</summary>
    [JsonStringEnumMemberName("committed")]
    Committed,

    /// <summary>Pass on a trial boot with the commit deferred: recorded for this boot, committed once boot-complete.target is reached.</summary>
    [JsonStringEnumMemberName("passed-awaiting-commit")]
    Deferred,

    /// <summary>Fail on a trial boot (or a committed one with on-committed-failure = rollback): marked bad, the other slot boots next.</summary>
    [JsonStringEnumMemberName("marked-bad")]
    MarkedBad,

    /// <summary>Fail, reported only: a committed slot under on-committed-failure = report, or a slot already marked bad.</summary>
    [JsonStringEnumMemberName("reported")]
    Reported,

    /// <summary>Fail where a rollback was due, but the other slot cannot boot: marking this one bad would leave nothing to boot.</summary>
    [JsonStringEnumMemberName("kept")]
    Kept,
}
