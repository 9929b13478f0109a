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

    private static byte[] Read(string target, string name) => File.ReadAllBytes(RepositoryPaths.Fixture(Path.Combine("fuzz", target, name)));

    private static void ShortAndNamed(Exception e, string name)
    {
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Length <= MaxMessageChars, $"{e.Message.Length} chars: {e.Message[..200]}");
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
}
