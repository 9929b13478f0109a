// SPDX-License-Identifier: Apache-2.0
using Updater.Config;

namespace Updater.Tests.Config;

public sealed class ChannelConfigTests
{
    /// <summary>A valid configuration without [channel]; also the base of <see cref="OneIniGrammarTests"/>.</summary>
    internal const string System = """
        [system]
        compatible = board
        bootloader = grub
        grub-env = /boot/grubenv
        trust-root = /etc/updater/root.json
        booted-slot = A

        [slot.rootfs.0]
        device = /dev/null-a
        bootname = A

        [slot.rootfs.1]
        device = /dev/null-b
        bootname = B

        """;

    private static UpdaterConfig Parse(string channel) => UpdaterConfig.Parse(System + channel, "update.conf");

    [Fact]
    public void Reads_every_channel_key()
    {
        var c = Parse("""
            [channel]
            name = stable
            url = https://updates.example.com/board/stable.channel
            group = canary
            machine-id-file = /run/machine-id
            poll-interval = 6h
            poll-jitter = 30m
            report-url = https://fleet.example.com/report
            auto-reboot = yes
            reboot-window = 23:00-02:00
            http-timeout = 45s
            http-attempts = 12
            http-deadline = 2h
            """).Channel!;

        Assert.Equal("https://updates.example.com/board/stable.channel", c.Url);
        Assert.Equal("canary", c.Group);
        Assert.Equal("/run/machine-id", c.MachineIdFile);
        Assert.Equal(TimeSpan.FromHours(6), c.PollInterval);
        Assert.Equal(TimeSpan.FromMinutes(30), c.PollJitter);
        Assert.Equal("https://fleet.example.com/report", c.ReportUrl);
        Assert.True(c.AutoReboot);
        Assert.True(c.RebootWindow!.Contains(new DateTimeOffset(2026, 12, 1, 1, 0, 0, TimeSpan.Zero)));
        Assert.False(c.RebootWindow.Contains(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero)));
        Assert.Equal(TimeSpan.FromSeconds(45), c.HttpTimeout);
        Assert.Equal(12, c.HttpAttempts);
        Assert.Equal(TimeSpan.FromHours(2), c.HttpDeadline);
    }

    [Fact]
    public void A_channel_keyring_is_gone_and_the_error_says_where_channel_keys_are_now()
    {
        var e = Assert.Throws<ConfigException>(() => Parse("[channel]\nname = stable\nurl = http://127.0.0.1/stable.channel\nkeyring = /etc/updater/channel-keys\n"));
        Assert.Contains("key 'keyring' is gone: channel keys are the channel role of the trust root ([system] trust-root, docs/trust.md)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_those_documented()
    {
        var c = Parse("[channel]\nname = stable\nurl = http://127.0.0.1/stable.channel\n").Channel!;
        Assert.Equal("/etc/machine-id", c.MachineIdFile);
        Assert.Equal(TimeSpan.FromHours(1), c.PollInterval);
        Assert.Equal(TimeSpan.FromMinutes(10), c.PollJitter);
        Assert.False(c.AutoReboot);
        Assert.Null(c.RebootWindow);
        Assert.Null(c.Group);
        Assert.Null(c.ReportUrl);
        Assert.Null(Parse("").Channel);
    }

    [Theory]
    [InlineData("poll-intervall = 1h", "update.conf:18: unknown key 'poll-intervall' in [channel]")]
    [InlineData("poll-interval = soon", "update.conf:18: key 'poll-interval' is 'soon', expected a duration")]
    [InlineData("poll-interval = 1s", "update.conf:18: key 'poll-interval' is '1s', expected a duration")]
    [InlineData("reboot-window = 2-4", "update.conf:18: key 'reboot-window' is '2-4', expected HH:MM-HH:MM")]
    [InlineData("report-url = ftp://x", "update.conf:18: key 'report-url' must be an http(s) URL")]
    [InlineData("auto-reboot = maybe", "update.conf:18: key 'auto-reboot' is 'maybe', expected yes or no")]
    [InlineData("machine-id-file = machine-id", "update.conf:18: key 'machine-id-file' must be an absolute path")]
    public void A_bad_key_is_one_error_naming_file_line_and_key(string line, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Parse($"[channel]\nname = stable\nurl = http://127.0.0.1/c\n{line}\n"));
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_url_with_credentials_is_not_echoed_in_errors()
    {
        var error = Assert.Throws<ConfigException>(() => Parse("[channel]\nname = stable\nurl = ftp://user:secret@host/x\n"));
        Assert.Contains("key 'url'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_channel_name_is_required()
    {
        var error = Assert.Throws<ConfigException>(() => Parse("[channel]\nurl = http://127.0.0.1/c\n"));
        Assert.Equal("update.conf:15: [channel] needs key 'name'", error.Message);
        Assert.Equal("stable", Parse("[channel]\nname = stable\nurl = http://127.0.0.1/c\n").Channel!.Name);
    }

    [Theory]
    [InlineData("../nightly")]
    [InlineData(".")]
    [InlineData("stable beta")]
    [InlineData("st\u00e4ble")]
    public void A_channel_name_that_could_not_be_a_channel_field_is_refused(string name)
    {
        var error = Assert.Throws<ConfigException>(() => Parse($"[channel]\nname = {name}\nurl = http://127.0.0.1/c\n"));
        Assert.StartsWith("update.conf:16: key 'name' is '", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected a name of 1..64 ASCII letters, digits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_clock_is_wall_unless_set_to_signed()
    {
        Assert.Equal(Updater.Clock.ClockMode.Wall, Parse("").Clock);
        Assert.Equal(Updater.Clock.ClockMode.Signed, UpdaterConfig.Parse(System.Replace("booted-slot = A", "booted-slot = A\nclock = signed", StringComparison.Ordinal), "update.conf").Clock);
        var error = Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(System.Replace("booted-slot = A", "booted-slot = A\nclock = ntp", StringComparison.Ordinal), "update.conf"));
        Assert.Equal("update.conf:7: key 'clock' is 'ntp', expected one of: wall, signed", error.Message);
    }
}
