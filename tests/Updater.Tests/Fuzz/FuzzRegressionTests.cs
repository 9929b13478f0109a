// SPDX-License-Identifier: Apache-2.0
using Updater.Fleet;
using Updater.Transport;
using Updater.Trust;
using TestSupport;
using Xunit;

namespace Updater.Tests.Fuzz;

/// <summary>
/// Inputs AFL++ found (tests/fuzz/, fixtures/fuzz/TARGET/NAME), each fed to the parser it broke: each must now
/// end in the parser's documented rejection, with a short message that names the input.
/// </summary>
public class FuzzRegressionTests
{
    private const int MaxMessageChars = 1024;

    public static TheoryData<string> Inputs(string target) =>
        new(Directory.GetFiles(RepositoryPaths.Fixture(Path.Combine("fuzz", target))).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    public static TheoryData<string> ChannelInputs() => Inputs("channel");

    public static TheoryData<string> UrlInputs() => Inputs("url");

    public static TheoryData<string> BundleUrlInputs() => Inputs("bundle-url");

    public static TheoryData<string> SystemdBootInputs() => Inputs("systemd-boot");

    private static byte[] Read(string target, string name) => File.ReadAllBytes(RepositoryPaths.Fixture(Path.Combine("fuzz", target, name)));

    private static void ShortAndNamed(Exception e, string name)
    {
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Length <= MaxMessageChars, $"{e.Message.Length} chars: {e.Message[..Math.Min(200, e.Message.Length)]}");
    }

    /// <summary>JSON errors quoted a hostile property name or value in full (kilobytes): now escaped and bounded.</summary>
    [Theory]
    [MemberData(nameof(ChannelInputs))]
    public void Channel_file_is_refused_with_a_short_message(string file)
    {
        var root = TrustRoot.OpenAnchor(File.ReadAllBytes(TestKeys.RootPath), TestKeys.RootPath);
        var e = Assert.Throws<UpdaterException>(() => VerifiedChannel.Open(Read("channel", file), root, "channel.json"));
        Assert.Equal(ExitCode.BadInput, e.ExitCode);
        ShortAndNamed(e, "channel.json");
    }

    /// <summary>
    /// An entry name with leading zeros (updater-0000-a.conf, +083) was taken for a slot's entry and written back
    /// without them, so the backend's rename would have missed the file. Now it is refused, naming the file and the
    /// name to rename it to.
    /// </summary>
    [Theory]
    [MemberData(nameof(SystemdBootInputs))]
    public void Systemd_boot_entry_name_is_ours_exactly_as_written_or_refused(string file)
    {
        byte[] input = Read("systemd-boot", file);
        int newline = Array.IndexOf(input, (byte)'\n');
        string name = System.Text.Encoding.UTF8.GetString(input, 0, newline < 0 ? input.Length : newline);
        var e = Assert.Throws<Partition.Bootloaders.BootEnvironmentException>(() => Partition.Bootloaders.SystemdBoot.SystemdBootEntryName.Parse(name, "updater", "/efi/loader/entries"));
        ShortAndNamed(e, "/efi/loader/entries/" + name);
        Assert.Contains("leading zeros; rename it to updater-", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Redaction of text System.Uri does not parse (a password holding '@', a bad port, an open bracket, no scheme,
    /// a backslash) kept part of the password or the query; and TryCreate itself may throw. Now the text is cut on
    /// its own: nothing before the last '@', nothing from the first '?' or '#'.
    /// </summary>
    [Theory]
    [MemberData(nameof(UrlInputs))]
    public void Redacted_url_keeps_no_user_password_or_query(string file)
    {
        string text = System.Text.Encoding.UTF8.GetString(Read("url", file));
        foreach (string candidate in new[] { text, "https://" + text, "http://user:SECRET@" + text, "https://host/p?SECRET" + text })
        {
            var e = Record.Exception(() => SafeUrl.Parse(candidate, "url"));
            Assert.True(e is null or UpdaterException { ExitCode: ExitCode.Usage }, e?.ToString());
            string redacted = SafeUrl.Redact(candidate);
            if (candidate.StartsWith("http://user:SECRET@", StringComparison.Ordinal) || candidate.StartsWith("https://host/p?SECRET", StringComparison.Ordinal))
            {
                Assert.DoesNotContain("SECRET", redacted.Replace(text, "", StringComparison.Ordinal), StringComparison.Ordinal);
            }
            int scheme = redacted.IndexOf("://", StringComparison.Ordinal);
            string rest = scheme >= 0 ? redacted[(scheme + 3)..] : "";
            int end = rest.IndexOfAny(['/', '?', '#', '\\']);
            Assert.DoesNotContain("@", end < 0 ? rest : rest[..end], StringComparison.Ordinal);
            int query = redacted.IndexOf('?', StringComparison.Ordinal);
            Assert.True(query < 0 || redacted[query..] == "?(redacted)", redacted);
            Assert.DoesNotContain("#", redacted, StringComparison.Ordinal);
        }
    }
}
