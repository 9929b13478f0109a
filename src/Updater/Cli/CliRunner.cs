using Partition.Bootloaders;

namespace Updater.Cli;

/// <summary>
/// Runs one command's action and turns every failure into one line on stderr and a documented exit code
/// (README.md, "Exit codes"). Only a bug prints a stack trace.
/// </summary>
internal static class CliRunner
{
    public static async Task<int> RunAsync(Func<Task<int>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (UpdaterException e)
        {
            return Fail(e.ExitCode, e.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Fail(ExitCode.Cancelled, "interrupted; run the same command again to resume");
        }
        catch (BootEnvironmentException e)
        {
            return Fail(ExitCode.Io, $"bootloader environment: {e.Message}");
        }
        catch (IOException e)
        {
            return Fail(ExitCode.Io, e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            return Fail(ExitCode.Io, e.Message);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"updater: internal error: {e}");
            return (int)ExitCode.InternalError;
        }
    }

    public static int Fail(ExitCode code, string message)
    {
        Console.Error.WriteLine($"updater: error: {message}");
        return (int)code;
    }
}
