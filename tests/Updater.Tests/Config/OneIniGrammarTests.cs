// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Parsing;
using Updater.Config;

namespace Updater.Tests.Config;

/// <summary>update.conf and the health.d drop-ins are one format: the same words are booleans in both, and the same lines are errors.</summary>
public sealed class OneIniGrammarTests
{
    private const string System = ChannelConfigTests.System;

    public static TheoryData<string, bool> Booleans() => new()
    {
        { "yes", true }, { "Yes", true }, { "y", true }, { "TRUE", true }, { "t", true }, { "on", true }, { "1", true },
        { "no", false }, { "No", false }, { "n", false }, { "False", false }, { "f", false }, { "OFF", false }, { "0", false },
    };

    [Theory]
    [MemberData(nameof(Booleans))]
    public void Both_files_read_the_same_words_as_booleans(string word, bool expected)
    {
        var config = UpdaterConfig.Parse(System.Replace("booted-slot = A", $"booted-slot = A\ndirect-io = {word}", StringComparison.Ordinal), "update.conf");
        var check = Assert.Single(HealthCheckParser.Parse($"[check.a]\ntype = mount\npath = /\nrequired = {word}\n", "10-a.conf"));

        Assert.Equal(expected, config.DirectIo);
        Assert.Equal(expected, check.Required);
    }

    [Theory]
    [InlineData("maybe")]
    [InlineData("ja")]
    [InlineData("2")]
    [InlineData("yess")]
    [InlineData("")]
    public void Both_files_refuse_the_same_words(string word)
    {
        var config = Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(System + $"[channel]\nname = stable\nurl = /srv/c.channel\nauto-reboot = {word}\n", "update.conf"));
        var dropIn = Assert.Throws<HealthCheckConfigException>(() => HealthCheckParser.Parse($"[check.a]\ntype = mount\npath = /\nrequired = {word}\n", "10-a.conf"));

        Assert.StartsWith("update.conf:18: key 'auto-reboot'", config.Message, StringComparison.Ordinal);
        Assert.StartsWith("10-a.conf:4: key 'required'", dropIn.Message, StringComparison.Ordinal);
        Assert.Contains(IniBoolean.Expected, config.Message, StringComparison.Ordinal);
        Assert.Contains(IniBoolean.Expected, dropIn.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("k = 1\nk = 2\n", "is given twice")]
    [InlineData("k = \x1b[31m\n", "control character \\x1b")]
    [InlineData("just words\n", "expected 'key = value'")]
    [InlineData("= 1\n", "has no key")]
    public void Both_files_refuse_the_same_lines(string lines, string problem)
    {
        var config = Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(System + "[health]\n" + lines, "update.conf"));
        var dropIn = Assert.Throws<HealthCheckConfigException>(() => HealthCheckParser.Parse("[check.a]\n" + lines, "10-a.conf"));

        Assert.Contains(problem, config.Message, StringComparison.Ordinal);
        Assert.Contains(problem, dropIn.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_echoed_in_an_error_is_bounded_and_escaped()
    {
        string value = new string('y', 10 * 1024);
        var e = Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(System.Replace("booted-slot = A", $"booted-slot = A\ndirect-io = {value}", StringComparison.Ordinal), "update.conf"));

        Assert.True(e.Message.Length < 300, e.Message);
        Assert.Contains("(10240 characters, cut)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequireChannel_names_the_file_when_there_is_none()
    {
        var config = UpdaterConfig.Parse(System, "/etc/updater/update.conf");

        var e = Assert.Throws<ConfigException>(config.RequireChannel);
        Assert.Equal("/etc/updater/update.conf: no [channel] section: set [channel] url to use channels", e.Message);
        Assert.Equal("/srv/c.channel", UpdaterConfig.Parse(System + "[channel]\nname = stable\nurl = /srv/c.channel\n", "u").RequireChannel().Url);
    }

    [Fact]
    public void A_config_changes_one_setting_with_with()
    {
        var config = UpdaterConfig.Parse(System + "[channel]\nname = stable\nurl = /srv/c.channel\n", "u");

        var changed = config with { Channel = config.Channel! with { AutoReboot = true } };

        Assert.True(changed.Channel!.AutoReboot);
        Assert.Equal(config.Slots, changed.Slots);
        Assert.Equal(ChannelConfig.DefaultMachineIdFile, changed.Channel.MachineIdFile);
    }
}
