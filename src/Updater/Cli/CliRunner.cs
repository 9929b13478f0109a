// SPDX-License-Identifier: Apache-2.0
using Updater.Text;

namespace Updater.Cli;

/// <summary>
/// Runs one command's action and turns every failure into one line on stderr and a documented exit code
/// (README.md, "Exit codes"). Only a bug prints a stack trace. Messages quote config, servers, channels and
/// bundles, and stderr is a terminal or the journal (SyslogLevelPrefix=yes): every message is escaped by
/// <see cref="SafeText"/>, so it stays one line that cannot forge a "&lt;0&gt;" entry or drive the terminal.
/// </summary>
internal static class CliRunner
{
    public static async Task<int> RunAsync(Func<Task<int>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var failure = OperationFailure.From(e, cancellationToken);
            if (failure.IsBug)
            {
                InternalError(e, Console.Error);
                return (int)ExitCode.InternalError;
            }
            return Fail(failure.Code, failure.Message);
        }
    }

    public static int Fail(ExitCode code, string message) => Fail(code, message, Console.Error);

    /// <param name="error">Where the line goes: stderr, or a test's writer.</param>
    internal static int Fail(ExitCode code, string message, TextWriter error)
    {
        error.WriteLine($"updater: error: {SafeText.Escape(message)}");
        return (int)code;
    }

    /// <summary>
    /// A bug: type and message on the first line, then the stack. Messages (this one's and its inner ones') are
    /// escaped; the stack's lines are ours (method names and source lines), each printed as a line of its own.
    /// </summary>
    internal static void InternalError(Exception e, TextWriter error)
    {
        error.WriteLine($"updater: internal error: {e.GetType().FullName}: {SafeText.Escape(e.Message)}");
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            error.WriteLine($"  caused by {inner.GetType().FullName}: {SafeText.Escape(inner.Message)}");
        }
        foreach (var line in (e.StackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            error.WriteLine($"  {SafeText.Escape(line)}");
        }
    }
}
