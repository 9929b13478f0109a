// SPDX-License-Identifier: Apache-2.0
using Updater.Transport;

namespace Updater.Tests.Transport;

/// <summary>How a header-file's values are taken out of messages, whatever shape a server echoes them in.</summary>
public sealed class OriginHeadersTests
{
    private const string Token = "eyJhbGciOiJFUzI1NiJ9.payload.signature";

    private static readonly OriginHeaders Headers = new(new Origin("https", "fleet.example.com", 443),
        [new SecretHeader("Authorization", "Bearer " + Token), new SecretHeader("X-Short", "abc")]);

    [Theory]
    [InlineData("HTTP 401 Bearer " + Token, "HTTP 401 (redacted)")]
    [InlineData("HTTP 401 token " + Token + " expired", "HTTP 401 token (redacted) expired")]
    [InlineData("redirect to https://" + "EYJHBGCIOIJFUZI1NIJ9.PAYLOAD.SIGNATURE", "redirect to https://(redacted)")]
    [InlineData("abc is too short to be a secret", "abc is too short to be a secret")]
    public void Values_and_their_long_pieces_are_redacted(string text, string expected)
    {
        Assert.Equal(expected, Headers.Redact(text));
    }

    [Fact]
    public void A_value_cut_by_the_message_length_cap_is_redacted_too()
    {
        string reason = new string('x', ServerText.MaxChars - 12) + " " + Token;
        string message = "HTTP 403 " + ServerText.Cap(reason);
        Assert.Contains(Token[..11], message, StringComparison.Ordinal);

        string redacted = Headers.Redact(message);

        Assert.DoesNotContain(Token[..11], redacted, StringComparison.Ordinal);
        Assert.Contains("x (redacted)...(", redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_prints_without_its_value()
    {
        Assert.Equal("Authorization: (redacted)", Headers.Headers[0].ToString());
    }
}
