// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using Updater.Install;
using Updater.Text;

namespace Updater.Cli;

/// <summary>
/// Install progress on stderr (stdout stays clean for --json): one line redrawn in place on a terminal;
/// plain periodic lines when stderr is a file or the journal, so logs stay readable.
/// </summary>
internal sealed class ProgressPrinter : IProgress<InstallProgress>
{
    private readonly TextWriter _output;
    private readonly bool _interactive;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly object _gate = new();
    // Far enough back that the first report prints, near enough that "now - _lastPrint" cannot overflow.
    private TimeSpan _lastPrint = TimeSpan.FromDays(-1);
    private int _lastPercent = -1;

    /// <param name="output">Where the lines go; stderr by default.</param>
    /// <param name="interactive">Redraw one line in place; by default when stderr is a terminal.</param>
    /// <param name="time">The clock behind rate, ETA and redraw pacing; tests pass a fake one to get exact lines.</param>
    public ProgressPrinter(TextWriter? output = null, bool? interactive = null, TimeProvider? time = null)
    {
        _output = output ?? Console.Error;
        _interactive = interactive ?? !Console.IsErrorRedirected;
        _time = time ?? TimeProvider.System;
        _started = _time.GetTimestamp();
    }

    public void Report(InstallProgress value)
    {
        lock (_gate)
        {
            var now = _time.GetElapsedTime(_started);
            int percent = value.Total == 0 ? 100 : (int)(value.Done * 100 / value.Total);
            bool due = _interactive ? now - _lastPrint > TimeSpan.FromMilliseconds(200) : (percent / 10 != _lastPercent / 10 || now - _lastPrint > TimeSpan.FromSeconds(10));
            if (!due && value.Done < value.Total)
            {
                return;
            }
            _lastPrint = now;
            _lastPercent = percent;
            double seconds = Math.Max(now.TotalSeconds, 0.001);
            double rate = value.Done / seconds;
            string eta = rate > 0 && value.Done < value.Total ? TimeSpan.FromSeconds((value.Total - value.Done) / rate).ToString(@"m\:ss", CultureInfo.InvariantCulture) : "0:00";
            // The phase is a word of ours today; escaped anyway, since this line is redrawn on a terminal.
            string line = string.Create(CultureInfo.InvariantCulture,
                $"{SafeText.Escape(value.Phase, 64)} {percent,3}%  {Mib(value.Done)}/{Mib(value.Total)} MiB  {rate / (1 << 20):0.0} MiB/s  ETA {eta}");
            if (_interactive)
            {
                _output.Write("\r" + line.PadRight(72));
                if (value.Done >= value.Total)
                {
                    _output.WriteLine();
                }
            }
            else
            {
                _output.WriteLine(line);
            }
        }
    }

    private static string Mib(long bytes) => (bytes / (double)(1 << 20)).ToString("0.0", CultureInfo.InvariantCulture);
}
