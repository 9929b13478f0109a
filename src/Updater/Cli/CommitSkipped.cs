// SPDX-License-Identifier: Apache-2.0
namespace Updater.Cli;

/// <summary>`updater commit --json` when there is nothing to judge: committed already, or judged by `updater health`.</summary>
internal sealed record CommitSkipped
{
    /// <summary>The booted slot's bootname; null when it is not known.</summary>
    public string? BootedSlot { get; init; }

    public required string Explanation { get; init; }
}
