// SPDX-License-Identifier: Apache-2.0
namespace Updater;

/// <summary>
/// An error the operator can act on: one message that names the file, line, field or byte offset, and the
/// exit code that tells scripts which kind of failure it was. Nothing on disk has changed when it is thrown
/// before the install's first write.
/// </summary>
internal class UpdaterException : Exception
{
    public UpdaterException(ExitCode exitCode, string message, Exception? inner = null)
        : base(message, inner)
    {
        ExitCode = exitCode;
    }

    public ExitCode ExitCode { get; }
}

/// <summary>Process exit codes, documented in README.md; scripts depend on them, so never renumber.</summary>
internal enum ExitCode
{
    Success = 0,

    /// <summary>An unexpected internal error (a bug): the message and stack go to stderr.</summary>
    InternalError = 1,

    /// <summary>The command line is wrong.</summary>
    Usage = 2,

    /// <summary>update.conf or a health.d drop-in is malformed.</summary>
    Config = 3,

    /// <summary>Bad input: a bundle or channel file that fails verification, wrong board, downgrade, image too large.</summary>
    BadInput = 4,

    /// <summary>I/O failure: a device, the state directory, the bootloader environment or the network.</summary>
    Io = 5,

    /// <summary>The device is in a state that forbids the request (e.g. roll back onto a slot with no good image).</summary>
    Refused = 6,

    /// <summary>Health checks failed.</summary>
    HealthFailed = 7,

    /// <summary>`updater status` listed at least one problem; its report was printed whole all the same.</summary>
    ProblemsListed = 8,

    /// <summary>An install hook refused the bundle or failed (docs/hooks.md); no slot was activated.</summary>
    HookFailed = 9,

    /// <summary>Interrupted (SIGINT/SIGTERM); the install can be resumed by running the same command.</summary>
    Cancelled = 130,
}
