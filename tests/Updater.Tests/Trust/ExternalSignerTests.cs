// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Updater.Crypto;
using Updater.Tests.Support;

namespace Updater.Tests.Trust;

/// <summary>
/// --sign-command with a real PKCS#11 token (SoftHSM2, driven by pkcs11-tool as an operator would drive a
/// YubiHSM or a cloud HSM): bundle, root and channel keys that exist only in the token sign through the real
/// executable, and what they sign verifies against a root naming them and installs on a device. A signer that
/// answers wrongly fails the command with one clear error and writes nothing.
/// </summary>
public sealed class ExternalSignerTests : IDisposable
{
    private readonly TestDevice _device = new();

    public void Dispose() => _device.Dispose();

    private string Vendor => _device.Path("vendor");

    [Fact]
    public async Task A_bundle_signed_by_a_key_only_in_the_hsm_verifies_against_its_root_and_installs()
    {
        var (hsm, pub, _) = await HsmAsync();
        string hsmId = SoftHsm.KeyIdOf(pub);
        string root = await RootAsync(bundleKey: pub);
        string image = _device.MakeImage("rootfs.img", 1 << 20, seed: 11);
        string bundle = _device.Path("hsm.bundle");

        var created = await hsm.ExpectUpdaterAsync(0, "bundle", "create", $"rootfs={image}", "-o", bundle, "--compatible", TestDevice.Compatible,
            "--version", "2.0.0", "--security-version", "1", "--sign-command", SoftHsm.SignCommand("01"), "--sign-public-key", pub);
        Assert.Contains($"signed by {hsmId}", created.Stdout, StringComparison.Ordinal);

        // The signature in the file names the token's key, and only it.
        var info = JsonDocument.Parse((await UpdaterProcess.ExpectAsync(0, "bundle", "info", "--json", bundle)).Stdout).RootElement;
        Assert.Equal([hsmId], info.GetProperty("signature_key_ids").EnumerateArray().Select(e => e.GetString()!).ToArray());

        var verified = await UpdaterProcess.ExpectAsync(0, "bundle", "verify", bundle, "--root", root);
        Assert.Contains($"OK: version 2.0.0 for {TestDevice.Compatible}, signed by {hsmId}", verified.Stdout, StringComparison.Ordinal);
        // A root that does not name the token's key refuses it: the trust comes from the root, not from the file.
        var stranger = await UpdaterProcess.ExpectAsync((int)ExitCode.BadInput, "bundle", "verify", bundle, "--root", Path.Combine(Vendor, "root.json"));
        Assert.StartsWith("updater: error: ", stranger.Stderr, StringComparison.Ordinal);

        // The device trusts that root and installs the bundle into B.
        File.Copy(root, _device.RootPath, overwrite: true);
        await UpdaterProcess.ExpectAsync(0, "--config", _device.ConfigPath, "install", bundle);
        Assert.Equal(File.ReadAllBytes(image), _device.ReadSlotB(1 << 20));
    }

    [Fact]
    public async Task A_root_key_in_the_hsm_signs_version_1_and_the_rotation_to_version_2()
    {
        var (hsm, pub, _) = await HsmAsync();
        string hsmId = SoftHsm.KeyIdOf(pub);
        string v1 = _device.Path("root.v1.json");
        await UpdaterProcess.ExpectAsync(0, ["trust", "init", "-o", v1, .. SmallRootArguments(pub)]);
        // Unsigned, it is not a root anyone accepts: the signature below is what makes the difference.
        Assert.NotEqual(0, (await UpdaterProcess.RunAsync("trust", "verify", v1)).ExitCode);

        var signed = await hsm.ExpectUpdaterAsync(0, "trust", "sign", v1, "--sign-command", SoftHsm.SignCommand("01"), "--sign-public-key", pub);
        Assert.Contains($"signed by {hsmId}", signed.Stdout, StringComparison.Ordinal);
        Assert.Contains("ready: devices will accept this root", signed.Stdout, StringComparison.Ordinal);
        Assert.Contains("OK: chain ends at root version 1", (await UpdaterProcess.ExpectAsync(0, "trust", "verify", v1)).Stdout, StringComparison.Ordinal);

        // Revoking the vendor's file key for bundles and channels (a new one for both): version 2 is signed by the
        // same HSM root key, for version 1 and for itself.
        string next = _device.Path("online");
        await UpdaterProcess.ExpectAsync(0, "keygen", "-o", next);
        string v2 = _device.Path("root.v2.json");
        await UpdaterProcess.ExpectAsync(0, "trust", "edit", v1, "-o", v2, "--remove", Path.Combine(Vendor, "bundle.pub.pem"),
            "--add", $"bundle={next}.pub.pem", "--add", $"channel={next}.pub.pem");
        var rotated = await hsm.ExpectUpdaterAsync(0, "trust", "sign", v2, "--previous", v1, "--sign-command", SoftHsm.SignCommand("01"), "--sign-public-key", pub);
        Assert.Contains("ready: devices will accept this root", rotated.Stdout, StringComparison.Ordinal);
        Assert.Contains("OK: chain ends at root version 2", (await UpdaterProcess.ExpectAsync(0, "trust", "verify", v1, v2)).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_channel_signed_by_the_hsm_shows_as_verified_against_its_root()
    {
        var (hsm, pub, _) = await HsmAsync();
        string hsmId = SoftHsm.KeyIdOf(pub);
        string root = await RootAsync(channelKey: pub);
        var (bundle, _) = await _device.MakeBundleAsync("2.1.0", imageSize: 256 << 10);
        string channel = _device.Path("stable.channel");

        var created = await hsm.ExpectUpdaterAsync(0, ["channel", "create", "-o", channel, .. ChannelArguments(bundle), "--sign-command", SoftHsm.SignCommand("01"), "--sign-public-key", pub]);
        Assert.Contains($"signed by {hsmId}", created.Stdout, StringComparison.Ordinal);

        var shown = await UpdaterProcess.ExpectAsync(0, "channel", "show", channel, "--root", root);
        Assert.Contains($"signatures verified: channel key(s) {hsmId}", shown.Stderr, StringComparison.Ordinal);
        Assert.Equal("2.1.0", JsonDocument.Parse(shown.Stdout).RootElement.GetProperty("release").GetProperty("version").GetString());
        // Against the vendor's own root (whose channel key is a file key) the token's signature counts for nothing.
        await UpdaterProcess.ExpectAsync((int)ExitCode.BadInput, "channel", "show", channel, "--root", Path.Combine(Vendor, "root.json"));
    }

    public enum Failure
    {
        /// <summary>The command signs with key 02 of the token, but --sign-public-key names key 01.</summary>
        OtherKey,

        /// <summary>The token refuses the login.</summary>
        WrongPin,

        /// <summary>The signature comes out base64-encoded: neither 64 raw bytes nor 128 hex digits.</summary>
        Garbage,

        /// <summary>--sign-command without its --sign-public-key.</summary>
        NoPublicKey,
    }

    public enum Signing
    {
        BundleCreate,
        ChannelCreate,
        TrustSign,
    }

    public static TheoryData<Failure, Signing> Failures()
    {
        var data = new TheoryData<Failure, Signing>();
        foreach (var failure in Enum.GetValues<Failure>())
        {
            foreach (var signing in Enum.GetValues<Signing>())
            {
                data.Add(failure, signing);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_signer_that_answers_wrongly_fails_the_command_with_one_error_and_writes_nothing(Failure failure, Signing signing)
    {
        var (hsm, pub, _) = await HsmAsync();
        string ran = _device.Path("sign-command-ran");
        string command = $"touch {ran}; " + failure switch
        {
            Failure.OtherKey => SoftHsm.SignCommand("02"),
            Failure.WrongPin => SoftHsm.SignCommand("01", pin: "9999"),
            Failure.Garbage => SoftHsm.SignCommand("01") + " | base64",
            _ => SoftHsm.SignCommand("01"),
        };
        string[] signer = failure == Failure.NoPublicKey ? ["--sign-command", command] : ["--sign-command", command, "--sign-public-key", pub];

        string output;
        byte[]? before = null;
        ProcessResult result;
        switch (signing)
        {
            case Signing.BundleCreate:
                output = _device.Path("out.bundle");
                result = await hsm.RunUpdaterAsync(["bundle", "create", $"rootfs={_device.MakeImage("rootfs.img", 256 << 10, seed: 3)}", "-o", output,
                    "--compatible", TestDevice.Compatible, "--version", "2.0.0", .. signer]);
                break;
            case Signing.ChannelCreate:
                var (bundle, _) = await _device.MakeBundleAsync("2.1.0", imageSize: 256 << 10);
                output = _device.Path("out.channel");
                result = await hsm.RunUpdaterAsync(["channel", "create", "-o", output, .. ChannelArguments(bundle), .. signer]);
                break;
            default:
                output = _device.Path("draft.json");
                // Two distinct keys, so the bytes to sign fit pkcs11-tool's single-part limit (see SmallRootArguments).
                await UpdaterProcess.ExpectAsync(0, ["trust", "init", "-o", output, .. SmallRootArguments(pub)]);
                before = File.ReadAllBytes(output);
                result = await hsm.RunUpdaterAsync(["trust", "sign", output, .. signer]);
                break;
        }

        var (exit, message) = failure switch
        {
            Failure.OtherKey => (ExitCode.Io, "its signature does not verify with that public key"),
            Failure.WrongPin => (ExitCode.Io, "exited with status 1: "),
            Failure.Garbage => (ExitCode.Io, "expected the 64-byte signature raw or as 128 hex digits"),
            _ => (ExitCode.Usage, "1 --sign-command but 0 --sign-public-key"),
        };
        Assert.True(result.ExitCode == (int)exit, $"expected exit {exit}, got {result.ExitCode}\nstdout:\n{result.Stdout}\nstderr:\n{result.Stderr}");
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        if (failure == Failure.WrongPin)
        {
            // The tail of the command's own stderr says why.
            Assert.Contains("CKR_PIN_INCORRECT", result.Stderr, StringComparison.Ordinal);
        }
        if (failure != Failure.NoPublicKey)
        {
            Assert.Contains($"sign command for key {SoftHsm.KeyIdOf(pub)}", result.Stderr, StringComparison.Ordinal);
        }
        // One error, on one line; nothing on stdout claims a result.
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("updater: error: ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("signed by", result.Stdout, StringComparison.Ordinal);
        // Nothing written: no file, no temporary beside it, a root left as it was.
        if (before is null)
        {
            Assert.False(File.Exists(output), $"{output} was written");
        }
        else
        {
            Assert.Equal(before, File.ReadAllBytes(output));
        }
        Assert.DoesNotContain(Directory.GetFiles(_device.Root), f => Path.GetFileName(f).Contains(".tmp-", StringComparison.Ordinal));
        // A usage error is found before the HSM is ever asked.
        Assert.Equal(failure != Failure.NoPublicKey, File.Exists(ran));
    }

    /// <summary>
    /// A command that fails before it reads its input (a wrong PIN, no token, a KMS that refuses) closes the pipe
    /// while the bytes are still being written: the error is its exit status and stderr, not "Broken pipe". The
    /// input is larger than a pipe's buffer, so the write cannot finish before the command has gone.
    /// </summary>
    [Theory]
    [InlineData("echo 'C_Login failed: CKR_PIN_INCORRECT' >&2; exit 3", "exited with status 3: C_Login failed: CKR_PIN_INCORRECT")]
    [InlineData("exec 0<&-; echo 'token not present' >&2; exit 1", "exited with status 1: token not present")]
    [InlineData("exec 0<&-; echo 'did not read it' >&2; printf '%0128d' 0", "exited before reading the 1048576 bytes to sign: did not read it")]
    public async Task A_command_that_exits_without_reading_its_input_reports_its_own_error(string command, string expected)
    {
        using var key = SigningKey.Load(TestDevice.KeyPath);
        var signer = new CommandSigner(command, key.PublicKey);

        var error = await Assert.ThrowsAsync<UpdaterException>(() => signer.SignAsync(new byte[1 << 20], CancellationToken.None));

        Assert.Equal(ExitCode.Io, error.ExitCode);
        Assert.Equal($"sign command for key {key.Id} {expected}", error.Message);
    }

    /// <summary>The same with the real binary and the real token: the wrong PIN is what the operator reads, every time.</summary>
    [Fact]
    public async Task A_wrong_pin_is_reported_as_the_tokens_error_every_time()
    {
        var (hsm, pub, _) = await HsmAsync();
        for (int i = 0; i < 5; i++)
        {
            var result = await hsm.RunUpdaterAsync("trust", "init", "-o", _device.Path("unused.json"), "--root-key", pub, "--bundle-key", pub, "--channel-key", pub);
            Assert.Equal(0, result.ExitCode);
            var failed = await hsm.RunUpdaterAsync("trust", "sign", _device.Path("unused.json"), "--sign-command", SoftHsm.SignCommand("01", pin: "0000"), "--sign-public-key", pub);
            Assert.Equal((int)ExitCode.Io, failed.ExitCode);
            Assert.Contains("exited with status 1: ", failed.Stderr, StringComparison.Ordinal);
            Assert.Contains("CKR_PIN_INCORRECT", failed.Stderr, StringComparison.Ordinal);
            File.Delete(_device.Path("unused.json"));
        }
    }

    /// <summary>
    /// trust init's keys for a root whose root key is <paramref name="rootKey"/> and whose bundle and channel roles
    /// share the vendor's bundle key: two distinct keys. pkcs11-tool (OpenSC 0.23) signs at most 1024 bytes in one
    /// C_Sign and feeds anything longer to C_SignUpdate, which SoftHSM (like many tokens) has no multi-part EdDSA
    /// for; a root of three distinct keys is a few bytes over that.
    /// </summary>
    private string[] SmallRootArguments(string rootKey) =>
        ["--root-key", rootKey, "--bundle-key", Path.Combine(Vendor, "bundle.pub.pem"), "--channel-key", Path.Combine(Vendor, "bundle.pub.pem")];

    private static string[] ChannelArguments(string bundle) =>
        ["--channel-version", "1", "--compatible", TestDevice.Compatible, "--release", "2.1.0", "--bundle-url", "bundles/2.1.0.bundle", "--bundle", bundle];

    /// <summary>A token with two keys (01 the one under test, 02 another) and the vendor's file keys from keygen.</summary>
    private async Task<(SoftHsm Hsm, string Pub01, string Pub02)> HsmAsync()
    {
        var hsm = await SoftHsm.CreateAsync(_device.Root);
        string pub01 = await hsm.GenerateKeyAsync("01", "signing");
        string pub02 = await hsm.GenerateKeyAsync("02", "other");
        Assert.NotEqual(SoftHsm.KeyIdOf(pub01), SoftHsm.KeyIdOf(pub02));
        await UpdaterProcess.ExpectAsync(0, "keygen", Vendor);
        return (hsm, pub01, pub02);
    }

    /// <summary>Root version 1 naming the vendor's file keys, with <paramref name="bundleKey"/> or <paramref name="channelKey"/> in their place; signed by the vendor's root.key.</summary>
    private async Task<string> RootAsync(string? bundleKey = null, string? channelKey = null)
    {
        string root = _device.Path("hsm-root.json");
        await UpdaterProcess.ExpectAsync(0, "trust", "init", "-o", root, "--root-key", Path.Combine(Vendor, "root.pub.pem"),
            "--bundle-key", bundleKey ?? Path.Combine(Vendor, "bundle.pub.pem"), "--channel-key", channelKey ?? Path.Combine(Vendor, "channel.pub.pem"));
        await UpdaterProcess.ExpectAsync(0, "trust", "sign", root, "-k", Path.Combine(Vendor, "root.key"));
        return root;
    }
}
