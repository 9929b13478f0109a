// SPDX-License-Identifier: Apache-2.0
using Partition.Bootloaders;

namespace Updater;

/// <summary>
/// What a failed command or D-Bus call tells its caller: the documented exit code and one message. The one
/// place that maps an exception to those, so `updater install` and the D-Bus Install call name a failure alike.
/// A bug (an exception nothing expects) is marked as one: its caller prints the stack.
/// </summary>
internal sealed record OperationFailure(ExitCode Code, string Message, bool IsBug)
{
    public static OperationFailure From(Exception e, CancellationToken cancellationToken) => e switch
    {
        UpdaterException u => new(u.ExitCode, u.Message, false),
        OperationCanceledException when cancellationToken.IsCancellationRequested => new(ExitCode.Cancelled, "interrupted; run the same command again to resume", false),
        BootEnvironmentException b => new(ExitCode.Io, $"bootloader environment: {b.Message}", false),
        IOException or UnauthorizedAccessException => new(ExitCode.Io, e.Message, false),
        _ => new(ExitCode.InternalError, $"internal error ({e.GetType().Name}): {e.Message}", true),
    };
}
