// SPDX-License-Identifier: Apache-2.0
using Updater.Config;
using Updater.Device;
using Updater.Tests.Support;

namespace Updater.Tests.Config;

/// <summary>
/// [channel] ca-file, client-certificate, client-key and header-file: every bad one is exit 3 at load, naming
/// update.conf's line and key (and the header-file's own line), and never quoting a key or a header value.
/// </summary>
public sealed class ChannelIdentityConfigTests : IDisposable
{
    private const string Secret = "Bearer eyJhbGciOi-not-a-real-token";

    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>[channel] starts at line 15 of ChannelConfigTests.System: url is line 16, the first key line 17.</summary>
    private static UpdaterConfig Parse(string keys, string url = "https://fleet.example.com/stable.channel") =>
        UpdaterConfig.Parse(ChannelConfigTests.System + $"[channel]\nurl = {url}\n{keys}\nname = stable\n", "update.conf");

    private string Headers(string text)
    {
        string path = _dir.Path("fleet.headers");
        File.WriteAllText(path, text);
        return path;
    }

    private static void NoSecretIn(ConfigException error) => Assert.DoesNotContain("eyJhbGciOi", error.Message, StringComparison.Ordinal);

    [Fact]
    public void Every_key_is_loaded()
    {
        string ca = _pki.WriteCa(_dir.Path("ca.pem"));
        var (cert, key) = TestPki.Write(_pki.Client(), _dir.Path("device"));
        string headers = Headers($"# gateway credentials\n\nAuthorization: {Secret}\nX-Fleet-Key:   abc12345  \n");

        var identity = Parse($"ca-file = {ca}\nclient-certificate = {cert}\nclient-key = {key}\nheader-file = {headers}").Channel!.Identity;

        Assert.Equal(_pki.Ca.Thumbprint, Assert.Single(identity.ServerTrust!.Roots).Thumbprint);
        Assert.True(identity.ClientCertificate!.HasPrivateKey);
        Assert.Equal("CN=device-0001", identity.ClientCertificate.Subject);
        Assert.Equal([("Authorization", Secret), ("X-Fleet-Key", "abc12345")], identity.Headers!.Headers.Select(h => (h.Name, h.Value)));
        Assert.Equal(new Updater.Transport.Origin("https", "fleet.example.com", 443), identity.Headers.Origin);
        Assert.DoesNotContain("eyJhbGciOi", identity.Headers.Headers[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_keys_there_is_no_identity()
    {
        var channel = Parse("").Channel!;
        Assert.Same(ChannelIdentity.None, channel.Identity);
        var options = channel.TransportOptions(TimeProvider.System);
        Assert.Null(options.ServerTrust);
        Assert.Null(options.ClientCertificate);
        Assert.Null(options.OriginHeaders);
    }

    [Fact]
    public void A_missing_ca_file_is_named_with_its_line_and_key()
    {
        string missing = _dir.Path("nope.pem");
        var error = Assert.Throws<ConfigException>(() => Parse($"ca-file = {missing}"));
        Assert.Equal($"update.conf:17: key 'ca-file': {missing}: no such file (the CA file)", error.Message);
    }

    [Fact]
    public void A_ca_file_without_a_certificate_is_refused()
    {
        string ca = _dir.Path("empty.pem");
        File.WriteAllText(ca, "not a certificate\n");
        var error = Assert.Throws<ConfigException>(() => Parse($"ca-file = {ca}"));
        Assert.Equal($"update.conf:17: key 'ca-file': {ca}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the CA file", error.Message);
    }

    [Theory]
    [InlineData("ca-file = ca.pem", "update.conf:17: key 'ca-file' must be an absolute path, found 'ca.pem'")]
    [InlineData("client-certificate = /etc/updater/device.crt", "update.conf:17: key 'client-certificate' needs key 'client-key' too: mutual TLS takes a certificate and its private key")]
    [InlineData("client-key = /etc/updater/device.key", "update.conf:17: key 'client-key' needs key 'client-certificate' too: mutual TLS takes a certificate and its private key")]
    [InlineData("header-file = headers", "update.conf:17: key 'header-file' must be an absolute path, found 'headers'")]
    public void A_bad_key_is_one_error_naming_file_line_and_key(string line, string expected)
    {
        Assert.Equal(expected, Assert.Throws<ConfigException>(() => Parse(line)).Message);
    }

    [Fact]
    public void A_client_key_that_is_not_the_certificates_is_refused_without_showing_it()
    {
        var (cert, _) = TestPki.Write(_pki.Client("a"), _dir.Path("a"));
        var (_, otherKey) = TestPki.Write(_pki.Client("b"), _dir.Path("b"));

        var error = Assert.Throws<ConfigException>(() => Parse($"client-certificate = {cert}\nclient-key = {otherKey}"));

        Assert.StartsWith($"update.conf:17: key 'client-certificate': {cert} with {otherKey}: cannot load the client certificate and key: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", error.Message, StringComparison.Ordinal);
        string keyBody = File.ReadAllLines(otherKey)[1];
        Assert.DoesNotContain(keyBody, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_client_key_is_named()
    {
        var (cert, _) = TestPki.Write(_pki.Client(), _dir.Path("device"));
        string missing = _dir.Path("gone.key");
        var error = Assert.Throws<ConfigException>(() => Parse($"client-certificate = {cert}\nclient-key = {missing}"));
        Assert.Equal($"update.conf:17: key 'client-certificate': {missing}: no such file (the client key)", error.Message);
    }

    [Theory]
    [InlineData("# ok\nAuthorization " + Secret + "\n", 2, "expected 'Name: value' (e.g. 'Authorization: Bearer ...')")]
    [InlineData("Authorization: " + Secret + "\r\nX-A: b\n", 1, "the value of 'Authorization' has a carriage return (CR; the file must have Unix line ends): refused (header values are printable ASCII)")]
    [InlineData("X-A: ok\nX-B: a\rHost: evil\n", 2, "the value of 'X-B' has a carriage return")]
    [InlineData("X-A: a\0b\n", 1, "the value of 'X-A' has a NUL byte")]
    [InlineData("X-A: a\u001bb\n", 1, "the value of 'X-A' has control character 0x1b")]
    [InlineData("\n\nHost: evil.example.com\n", 3, "header 'Host' is set by the updater's transport itself and cannot be configured")]
    [InlineData("content-length: 0\n", 1, "header 'content-length' is set by the updater's transport itself")]
    [InlineData("Transfer-Encoding: chunked\n", 1, "header 'Transfer-Encoding' is set by the updater's transport itself")]
    [InlineData("Range: bytes=0-\n", 1, "header 'Range' is set by the updater's transport itself")]
    [InlineData("If-None-Match: *\n", 1, "header 'If-None-Match' is set by the updater's transport itself")]
    [InlineData("Connection: close\n", 1, "header 'Connection' is set by the updater's transport itself")]
    [InlineData("Bearer " + Secret + ": x\n", 1, "the header name is not a token")]
    [InlineData("X-A: a\n  folded\n", 2, "a line starts with white space")]
    [InlineData("X-A:\n", 1, "header 'X-A' has an empty value")]
    [InlineData("X-A: a\nx-a: b\n", 2, "header 'x-a' is set twice")]
    [InlineData("X-A: caf\u00e9\n", 1, "the value of 'X-A' has a byte that is not ASCII")]
    public void A_bad_header_line_is_named_by_file_and_line_and_its_value_is_not_shown(string text, int line, string expected)
    {
        string path = Headers(text);
        var error = Assert.Throws<ConfigException>(() => Parse($"header-file = {path}"));
        Assert.StartsWith($"update.conf:17: key 'header-file': {path}:{line}: {expected}", error.Message, StringComparison.Ordinal);
        NoSecretIn(error);
        Assert.DoesNotContain("evil", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_file_is_bounded_in_size_and_count()
    {
        string big = Headers("X-A: " + new string('a', Updater.Config.HeaderFile.MaxBytes) + "\n");
        Assert.Equal($"update.conf:17: key 'header-file': {big}: a header-file has at most {Updater.Config.HeaderFile.MaxBytes} bytes",
            Assert.Throws<ConfigException>(() => Parse($"header-file = {big}")).Message);

        string many = Headers(string.Concat(Enumerable.Range(0, 33).Select(i => $"X-H{i}: v\n")));
        Assert.Equal($"update.conf:17: key 'header-file': {many}:33: more than 32 headers",
            Assert.Throws<ConfigException>(() => Parse($"header-file = {many}")).Message);
    }

    [Fact]
    public void A_header_file_needs_an_http_channel_and_a_header()
    {
        string path = Headers($"Authorization: {Secret}\n");
        Assert.Equal("update.conf:17: key 'header-file' needs an http(s) url: its headers go to the channel URL's origin only",
            Assert.Throws<ConfigException>(() => Parse($"header-file = {path}", url: "/srv/stable.channel")).Message);

        string empty = Headers("# nothing yet\n");
        Assert.Equal($"update.conf:17: key 'header-file': {empty}: no header in the header-file",
            Assert.Throws<ConfigException>(() => Parse($"header-file = {empty}")).Message);

        string missing = _dir.Path("missing.headers");
        Assert.Equal($"update.conf:17: key 'header-file': {missing}: no such file (the header file)",
            Assert.Throws<ConfigException>(() => Parse($"header-file = {missing}")).Message);
    }
}

/// <summary>The identity files as DeviceContext checks them: the CA file like the trust root, the key and the headers as secrets.</summary>
public sealed class ChannelIdentityTrustTests : IDisposable
{
    private readonly TestDevice _box = new(slotSize: 1 << 20);
    private readonly TestPki _pki = new();

    public void Dispose() => _box.Dispose();

    private (string Ca, string Cert, string Key, string Headers) Configure()
    {
        string ca = _pki.WriteCa(_box.Path("ca.pem"));
        var (cert, key) = TestPki.Write(_pki.Client(), _box.Path("device"));
        string headers = _box.Path("fleet.headers");
        File.WriteAllText(headers, "Authorization: Bearer abcdefgh12345678\n");
        File.SetUnixFileMode(headers, UnixFileMode.UserRead);
        _box.AppendConfig($"[channel]\nname = stable\nurl = https://fleet.example.com/c\nmachine-id-file = {_box.MachineIdFile}\nca-file = {ca}\nclient-certificate = {cert}\nclient-key = {key}\nheader-file = {headers}");
        return (ca, cert, key, headers);
    }

    [Fact]
    public void Files_owned_by_root_and_private_secrets_are_accepted()
    {
        Configure();
        Assert.NotNull(DeviceContext.Load(_box.ConfigPath).Config.Channel!.Identity.ClientCertificate);
    }

    [Fact]
    public void A_client_key_readable_by_others_is_refused()
    {
        var (_, _, key, _) = Configure();
        File.SetUnixFileMode(key, (UnixFileMode)0x1A4); // 0644
        Assert.Equal($"{key}: the channel client-key is a secret readable by group and others (mode 0644): refused (chmod 0600 {key})",
            Assert.Throws<ConfigException>(() => DeviceContext.Load(_box.ConfigPath)).Message);
    }

    [Fact]
    public void A_header_file_readable_by_its_group_is_refused()
    {
        var (_, _, _, headers) = Configure();
        File.SetUnixFileMode(headers, (UnixFileMode)0x120); // 0440
        Assert.Equal($"{headers}: the channel header-file is a secret readable by its group (mode 0440): refused (chmod 0600 {headers})",
            Assert.Throws<ConfigException>(() => DeviceContext.Load(_box.ConfigPath)).Message);
    }

    [Fact]
    public void A_ca_file_writable_by_others_is_refused()
    {
        var (ca, _, _, _) = Configure();
        File.SetUnixFileMode(ca, (UnixFileMode)0x1B6); // 0666
        Assert.Equal($"{ca}: the channel ca-file is writable by group and others (mode 0666): refused (chmod go-w {ca})",
            Assert.Throws<ConfigException>(() => DeviceContext.Load(_box.ConfigPath)).Message);
    }

    [Fact]
    public void A_client_key_owned_by_another_user_is_refused()
    {
        var (_, _, key, _) = Configure();
        ProcessRunner.RunChecked("chown", "1234", key);
        Assert.Equal($"{key}: the channel client-key is owned by uid 1234, not by root: refused (chown root {key})",
            Assert.Throws<ConfigException>(() => DeviceContext.Load(_box.ConfigPath)).Message);
    }
}
