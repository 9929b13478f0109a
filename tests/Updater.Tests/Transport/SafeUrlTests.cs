// SPDX-License-Identifier: Apache-2.0
using Updater.Transport;

namespace Updater.Tests.Transport;

public sealed class SafeUrlTests
{
    [Theory]
    [InlineData("https://user:pw@updates.example.com/a/b.bundle", "https://updates.example.com/a/b.bundle")]
    [InlineData("https://updates.example.com/b.bundle?sig=abc&exp=1", "https://updates.example.com/b.bundle?(redacted)")]
    [InlineData("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x")]
    public void Messages_never_carry_credentials(string url, string expected) => Assert.Equal(expected, SafeUrl.Redact(url));

    [Fact]
    public void Something_that_is_not_quite_a_url_still_loses_its_user_info() =>
        Assert.Equal("http://host name/x", SafeUrl.Redact("http://u:p@host name/x"));

    [Fact]
    public void Credentials_become_basic_authorization()
    {
        var header = SafeUrl.BasicAuthorization(new Uri("https://fleet%40acme:p%3Ass@h/x"))!;
        Assert.Equal("Basic", header.Scheme);
        Assert.Equal("fleet@acme:p:ss", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter!)));
        Assert.Null(SafeUrl.BasicAuthorization(new Uri("https://h/x")));
    }
}
