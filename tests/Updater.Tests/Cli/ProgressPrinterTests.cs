// SPDX-License-Identifier: Apache-2.0
using Updater.Cli;
using Updater.Install;

namespace Updater.Tests.Cli;

/// <summary>
/// The progress lines exactly as an operator sees them, on a fake clock so rate and ETA are known: in a log one
/// line per tenth of the way (or every 10 s while it stalls) plus the last; on a terminal one line redrawn at
/// most every 200 ms, ended by a newline when done.
/// </summary>
public sealed class ProgressPrinterTests
{
    private const long MiB = 1 << 20;

    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly WatchedFakeTimeProvider _time = new(Start);
    private readonly StringWriter _output = new();

    /// <summary>A report of <paramref name="doneMiB"/> of 100 MiB, <paramref name="at"/> after the printer was made.</summary>
    private void Report(ProgressPrinter printer, TimeSpan at, long doneMiB)
    {
        _time.SetUtcNow(Start + at);
        printer.Report(new InstallProgress("writing", doneMiB * MiB, 100 * MiB, doneMiB * MiB));
    }

    [Fact]
    public void In_a_log_it_prints_a_line_per_tenth_one_after_ten_quiet_seconds_and_the_last()
    {
        var printer = new ProgressPrinter(_output, interactive: false, _time);

        Report(printer, TimeSpan.FromSeconds(1), 1);   // the first report always prints
        Report(printer, TimeSpan.FromSeconds(2), 5);   // same tenth, 1 s later: quiet
        Report(printer, TimeSpan.FromSeconds(3), 10);  // a new tenth
        Report(printer, TimeSpan.FromSeconds(14), 15); // same tenth, but 11 s since the last line
        Report(printer, TimeSpan.FromSeconds(20), 100);

        // 1 MiB in 1 s leaves 99 s; 10 MiB in 3 s is 3.3 MiB/s with 90 MiB (27 s) to go; 15 MiB in 14 s is
        // 1.07 MiB/s with 85 MiB (79 s) to go; all of it in 20 s is 5 MiB/s.
        Assert.Equal(
            [
                "writing   1%  1.0/100.0 MiB  1.0 MiB/s  ETA 1:39",
                "writing  10%  10.0/100.0 MiB  3.3 MiB/s  ETA 0:27",
                "writing  15%  15.0/100.0 MiB  1.1 MiB/s  ETA 1:19",
                "writing 100%  100.0/100.0 MiB  5.0 MiB/s  ETA 0:00",
            ],
            _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void On_a_terminal_it_redraws_one_line_at_most_every_200_ms_and_ends_it_when_done()
    {
        var printer = new ProgressPrinter(_output, interactive: true, _time);

        Report(printer, TimeSpan.FromMilliseconds(100), 1);
        Report(printer, TimeSpan.FromMilliseconds(200), 20);  // 100 ms after the last redraw: skipped
        Report(printer, TimeSpan.FromMilliseconds(350), 50);
        Report(printer, TimeSpan.FromMilliseconds(400), 100); // done: drawn although only 50 ms passed

        Assert.Equal(
            "\r" + "writing   1%  1.0/100.0 MiB  10.0 MiB/s  ETA 0:09".PadRight(72) +
            "\r" + "writing  50%  50.0/100.0 MiB  142.9 MiB/s  ETA 0:00".PadRight(72) +
            "\r" + "writing 100%  100.0/100.0 MiB  250.0 MiB/s  ETA 0:00".PadRight(72) + "\n",
            _output.ToString());
    }
}
