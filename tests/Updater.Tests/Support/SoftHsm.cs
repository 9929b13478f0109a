// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Security.Cryptography;

namespace Updater.Tests.Support;

/// <summary>
/// A SoftHSM2 token of its own in a directory (its own softhsm2.conf, handed to every process through
/// SOFTHSM2_CONF, never the machine's), with Ed25519 key pairs made inside it by pkcs11-tool: the private keys
/// never leave the token, as with a real HSM. <see cref="SignCommand"/> is the --sign-command an operator
/// would write for it.
/// </summary>
internal sealed class SoftHsm
{
    public const string Pin = "1234";
    public const string TokenLabel = "updater";

    private static readonly string[] ModulePaths =
    [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    ];

    private readonly string _directory;

    private SoftHsm(string directory)
    {
        _directory = directory;
        ConfigPath = System.IO.Path.Combine(directory, "softhsm2.conf");
    }

    /// <summary>The PKCS#11 module (tests/install-deps.sh installs softhsm2 and opensc).</summary>
    public static string Module => ModulePaths.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"libsofthsm2.so not found in {string.Join(", ", ModulePaths)}: install softhsm2 and opensc (tests/install-deps.sh)");

    /// <summary>This token's softhsm2.conf, for SOFTHSM2_CONF.</summary>
    public string ConfigPath { get; }

    /// <summary>Initializes a fresh token labelled <see cref="TokenLabel"/> under <paramref name="directory"/>/hsm.</summary>
    public static async Task<SoftHsm> CreateAsync(string directory)
    {
        string root = System.IO.Path.Combine(directory, "hsm");
        string tokens = System.IO.Path.Combine(root, "tokens");
        Directory.CreateDirectory(tokens);
        var hsm = new SoftHsm(root);
        await File.WriteAllTextAsync(hsm.ConfigPath, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n");
        await hsm.RunCheckedAsync("softhsm2-util", "--init-token", "--free", "--label", TokenLabel, "--pin", Pin, "--so-pin", "5678");
        return hsm;
    }

    /// <summary>Makes an Ed25519 key pair in the token under <paramref name="id"/> (hex) and returns its public key, read back from the token as PEM.</summary>
    public async Task<string> GenerateKeyAsync(string id, string label)
    {
        await RunCheckedAsync("pkcs11-tool", "--module", Module, "--token-label", TokenLabel, "--login", "--pin", Pin,
            "--keypairgen", "--key-type", "EC:edwards25519", "--id", id, "--label", label);
        string pem = System.IO.Path.Combine(_directory, $"{label}-{id}.pub.pem");
        await RunCheckedAsync("pkcs11-tool", "--module", Module, "--token-label", TokenLabel, "--read-object", "--type", "pubkey", "--id", id, "-o", pem);
        return pem;
    }

    /// <summary>The --sign-command for key <paramref name="id"/>: the bytes on stdin, the 64-byte signature on stdout.</summary>
    public static string SignCommand(string id, string pin = Pin) =>
        $"pkcs11-tool --module {Module} --token-label {TokenLabel} --login --pin {pin} --sign --mechanism EDDSA --id {id} -i /dev/stdin -o /dev/stdout";

    /// <summary>
    /// The key id updater gives a PEM public key, worked out here from the file itself (the last 32 bytes of the
    /// SubjectPublicKeyInfo are the raw key; the id is the first 16 bytes of its SHA-256), not by updater's code.
    /// </summary>
    public static string KeyIdOf(string pemPath)
    {
        string pem = File.ReadAllText(pemPath);
        string body = string.Concat(pem.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)));
        byte[] spki = Convert.FromBase64String(body);
        Assert.Equal(44, spki.Length);
        return Convert.ToHexStringLower(SHA256.HashData(spki.AsSpan(spki.Length - 32))[..16]);
    }

    /// <summary>The real updater with this token's SOFTHSM2_CONF in its environment (so its sign commands see the token).</summary>
    public Task<ProcessResult> RunUpdaterAsync(params string[] args) => ProcessRunner.RunAsync(WithToken(UpdaterProcess.StartInfo(args)));

    /// <summary><see cref="RunUpdaterAsync"/>, asserting the exit code and showing both streams when it differs.</summary>
    public async Task<ProcessResult> ExpectUpdaterAsync(int exitCode, params string[] args)
    {
        var result = await RunUpdaterAsync(args);
        Assert.True(result.ExitCode == exitCode,
            $"updater {string.Join(' ', args)}: expected exit {exitCode}, got {result.ExitCode}\nstdout:\n{result.Stdout}\nstderr:\n{result.Stderr}");
        return result;
    }

    private ProcessStartInfo WithToken(ProcessStartInfo start)
    {
        start.Environment["SOFTHSM2_CONF"] = ConfigPath;
        return start;
    }

    private async Task RunCheckedAsync(string file, params string[] args)
    {
        var result = await ProcessRunner.RunAsync(WithToken(ProcessRunner.StartInfo(file, args)));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {result.ExitCode}: {result.Output}");
        }
    }
}
