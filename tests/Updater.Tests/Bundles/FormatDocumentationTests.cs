// SPDX-License-Identifier: Apache-2.0
using Updater.Tests.Support;

namespace Updater.Tests.Bundles;

/// <summary>
/// docs/bundle-format.md is precise enough for another language: a Python reader written from it alone
/// (Fixtures/read_bundle.py) reconstructs every image from a bundle we wrote, and OpenSSL verifies the
/// Ed25519 signature with the bundle key's PEM file.
/// </summary>
public sealed class FormatDocumentationTests : IDisposable
{
    private readonly TestDevice _box = new();

    public void Dispose() => _box.Dispose();

    [Fact]
    public async Task A_reader_in_python_and_openssl_agree_with_ours()
    {
        string image = _box.MakeImage("v2.img", (1 << 20) + 5000, seed: 51);
        string bundle = await _box.MakeBundleAsync("v2.bundle", image, chunkSize: 64 * 1024);
        string script = Path.Combine(AppContext.BaseDirectory, "Fixtures", "read_bundle.py");

        string output = ProcessRunner.RunChecked("python3", script, bundle, _box.Root).Stdout;

        Assert.Equal($"rootfs {TestDevice.Sha256Of(image)}", output.Trim());
        string verified = ProcessRunner.RunChecked("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", TestKeys.PublicKeyPath,
            "-rawin", "-in", _box.Path("message"), "-sigfile", _box.Path("signature")).Stdout;
        Assert.Contains("Signature Verified Successfully", verified, StringComparison.Ordinal);

        // The same reader refuses a flipped index byte: the Python side really checks.
        var bytes = await File.ReadAllBytesAsync(bundle);
        bytes[^(int)(new FileInfo(bundle).Length / 2)] ^= 1;
        await File.WriteAllBytesAsync(bundle, bytes);
        Assert.Throws<InvalidOperationException>(() => ProcessRunner.RunChecked("python3", script, bundle, _box.Root));
    }
}
