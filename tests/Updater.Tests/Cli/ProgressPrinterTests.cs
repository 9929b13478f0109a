using Updater.Cli;
using Updater.Install;

namespace Updater.Tests.Cli;

public sealed class ProgressPrinterTests
{
    [Fact]
    public void The_first_report_prints_whether_or_not_stderr_is_a_terminal()
    {
        var printer = new ProgressPrinter();
        printer.Report(new InstallProgress("writing", 1, 100, 1));
        printer.Report(new InstallProgress("writing", 100, 100, 100));
    }
}
