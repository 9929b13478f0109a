// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.State;

/// <summary>
/// A post-install hook that failed, kept in the install journal: the slot is written but not activated, and
/// `updater status` says which hook failed and what it printed until an install gets past it.
/// </summary>
internal sealed record FailedHook
{
    /// <summary>pre-install, post-install or install-check.</summary>
    [JsonPropertyName("hook")] public required string Hook { get; init; }

    /// <summary>Where it came from: update.conf's section ([hooks], [hooks.rootfs]) or the bundle (bundle, bundle:rootfs).</summary>
    [JsonPropertyName("source")] public required string Source { get; init; }

    /// <summary>The program run: the configured path, or the interpreter of a bundle's script.</summary>
    [JsonPropertyName("program")] public required string Program { get; init; }

    /// <summary>Its exit status (128+N when killed by signal N); absent when it timed out or never started.</summary>
    [JsonPropertyName("exit_code")] public int? ExitCode { get; init; }

    /// <summary>Why it failed, in words: "exited with status 3", "timed out after 300 s".</summary>
    [JsonPropertyName("reason")] public required string Reason { get; init; }

    /// <summary>The last lines it wrote to stdout and stderr (at most 4096 characters).</summary>
    [JsonPropertyName("output")] public required string Output { get; init; }

    [JsonPropertyName("failed_at")] public required DateTimeOffset FailedAt { get; init; }
}
