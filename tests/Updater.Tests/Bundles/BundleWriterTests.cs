// SPDX-License-Identifier: Apache-2.0
using Updater.Bundles;
using Updater.Crypto;
using Updater.Tests.Support;

namespace Updater.Tests.Bundles;

/// <summary>
/// `bundle create` refuses, before reading any image, a request whose manifest devices would refuse: by the
/// reader's own manifest rules, as a usage error, and without leaving a file behind.
/// </summary>
public sealed class BundleWriterTests : IDisposable
{
    private readonly TestDevice _box = new();

    public void Dispose() => _box.Dispose();

    [Theory]
    [InlineData("dup", "images[1].slot_class' 'rootfs' appears twice")]
    [InlineData("chunk", "images[0].chunk_size' must be a power of two")]
    [InlineData("version", "version 'two' is not a version")]
    [InlineData("compatible", "manifest field 'compatible' must be 1..256 characters")]
    [InlineData("security", "security_version' must not be negative")]
    [InlineData("class", "images[0].slot_class' must be letters")]
    public async Task A_request_the_manifest_rules_refuse_is_a_usage_error_before_any_write(string what, string expected)
    {
        string image = _box.MakeImage("a.img", 10000, seed: 3);
        var request = new BundleCreateRequest
        {
            Images = what switch
            {
                "dup" => [new("rootfs", image), new("rootfs", image)],
                "class" => [new("../etc", image)],
                _ => [new("rootfs", image)],
            },
            Compatible = what == "compatible" ? "" : TestDevice.Compatible,
            Version = what == "version" ? "two" : "2.0.0",
            SecurityVersion = what == "security" ? -1 : 0,
            ChunkSize = what == "chunk" ? 5000 : 4096,
        };
        using var key = SigningKey.Load(TestDevice.KeyPath);
        string output = _box.Path("out.bundle");

        var e = await Assert.ThrowsAsync<UpdaterException>(() => new BundleWriter(request, [key]).WriteAsync(output, null, CancellationToken.None));

        Assert.Equal(ExitCode.Usage, e.ExitCode);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output) || File.Exists(output + ".partial"));
    }
}
