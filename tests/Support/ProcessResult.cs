// SPDX-License-Identifier: Apache-2.0
namespace TestSupport;

/// <summary>How a process ended: its exit code and everything it wrote, each stream on its own.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Both streams, trimmed: what a person reads in a failure message or a tool's one-line answer.</summary>
    public string Output => (Stdout + Stderr).Trim();
}
