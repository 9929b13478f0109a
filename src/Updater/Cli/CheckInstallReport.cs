// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;
using Updater.Daemon;

namespace Updater.Cli;

/// <summary>`updater check --install --json`: what one poll of the agent did.</summary>
internal sealed record CheckInstallReport
{
    [JsonConverter(typeof(JsonStringEnumConverter<PollOutcomeWord>))]
    public required PollOutcomeWord Outcome { get; init; }

    /// <summary>The outcome in words, as the text output prints it.</summary>
    public required string Message { get; init; }

    public static CheckInstallReport From(PollOutcome outcome) => outcome switch
    {
        PollOutcome.TrialPending => new() { Outcome = PollOutcomeWord.TrialPending, Message = "not installing: a trial boot awaits its health verdict" },
        PollOutcome.NothingToDo => new() { Outcome = PollOutcomeWord.NothingToDo, Message = "nothing to install" },
        PollOutcome.Installed => new() { Outcome = PollOutcomeWord.Installed, Message = "installed; reboot to activate" },
        PollOutcome.StagedCancelled => new() { Outcome = PollOutcomeWord.StagedCancelled, Message = "the channel halted or withdrew the staged release: cancelled it (marked bad)" },
        _ => new() { Outcome = PollOutcomeWord.Rebooting, Message = "installed; rebooting" },
    };
}

/// <summary>The words of <see cref="CheckInstallReport.Outcome"/> (docs/json.md).</summary>
internal enum PollOutcomeWord
{
    [JsonStringEnumMemberName("trial-pending")] TrialPending,
    [JsonStringEnumMemberName("nothing-to-do")] NothingToDo,
    [JsonStringEnumMemberName("installed")] Installed,
    [JsonStringEnumMemberName("staged-cancelled")] StagedCancelled,
    [JsonStringEnumMemberName("rebooting")] Rebooting,
}
