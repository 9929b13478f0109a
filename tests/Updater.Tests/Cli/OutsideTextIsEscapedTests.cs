// SPDX-License-Identifier: Apache-2.0
using Updater.Cli;
using Updater.Install;
using Updater.Tests.Support;

namespace Updater.Tests.Cli;

/// <summary>
/// The terminal and stderr sinks of the command line: errors (CliRunner), the printed reports, progress. Text from
/// config, state, channels and bundles arrives escaped, so it cannot clear a screen, retitle a window, or (stdout
/// and stderr of a unit are the journal, SyslogLevelPrefix=yes) start an emergency-priority line of its own.
/// </summary>
public sealed class OutsideTextIsEscapedTests : IDisposable
{
    private const string Hostile = "x\n<0>forged\r<0>forged \u001b]0;owned\u0007\u001b[2J \u009b31m \u007f";

    private readonly TestDevice _box = new(slotSize: 1 << 20);

    public void Dispose() => _box.Dispose();

    [Fact]
    public void An_error_message_is_one_escaped_line()
    {
        var error = new StringWriter();

        int code = CliRunner.Fail(ExitCode.BadInput, $"channel: signed by unknown key(s) {Hostile}", error);

        Assert.Equal((int)ExitCode.BadInput, code);
        AssertCleanLines(error.ToString(), expectedLines: 1);
        Assert.Contains("\\n<0>forged\\r<0>forged \\x1b]0;owned\\x07\\x1b[2J \\x9b31m \\x7f", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_internal_error_escapes_the_messages_it_quotes()
    {
        var error = new StringWriter();
        Exception thrown;
        try
        {
            throw new InvalidOperationException($"bug while reading {Hostile}", new FormatException(Hostile));
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }

        CliRunner.InternalError(thrown, error);

        AssertCleanLines(error.ToString());
        Assert.StartsWith("updater: internal error: System.InvalidOperationException: bug while reading x\\n<0>forged", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Progress_lines_escape_their_phase()
    {
        var output = new StringWriter();

        new ProgressPrinter(output, interactive: false).Report(new InstallProgress(Hostile, 10, 10, 10));

        AssertCleanLines(output.ToString(), expectedLines: 1);
    }

    [Fact]
    public async Task Status_prints_state_text_escaped()
    {
        // The state directory holds text a bundle chose (its version, its signer), and a rollback's explanation.
        var slotB = _box.Config.Slots.Find("rootfs", "B")!;
        await new Updater.State.StateDirectory(_box.StateDir).WriteSlotAsync(slotB, new Updater.State.SlotRecord
        {
            Slot = slotB.Name, Bootname = "B", Version = Hostile, SecurityVersion = 1, Compatible = TestDevice.Compatible,
            ImageSha256 = new string('0', 64), ImageSize = 1, ManifestSha256 = new string('0', 64), SignedBy = Hostile, InstalledAt = DateTimeOffset.UnixEpoch,
        }, [], [], CancellationToken.None);

        var status = await UpdaterProcess.RunAsync("--config", _box.ConfigPath, "--booted-slot", "A", "status");

        Assert.True(status.ExitCode == 0, status.Stderr);
        AssertCleanLines(status.Stdout);
        Assert.Contains("version x\\n<0>forged\\r<0>forged \\x1b]0;owned\\x07\\x1b[2J", status.Stdout, StringComparison.Ordinal);
    }

    private static void AssertCleanLines(string text, int? expectedLines = null)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (expectedLines is { } n)
        {
            Assert.Equal(n, lines.Length);
        }
        foreach (var line in lines)
        {
            Assert.DoesNotContain(line, c => c < ' ' || c is >= '\u007f' and <= '\u009f');
            Assert.False(line.StartsWith('<'), line);
        }
    }
}
