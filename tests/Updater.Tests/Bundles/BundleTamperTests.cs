// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Updater.Bundles;
using Updater.Crypto;
using Updater.Install;
using Updater.Tests.Support;
using Updater.Transport;

namespace Updater.Tests.Bundles;

/// <summary>
/// Invariant 5 for bundles: a flipped bit anywhere, a truncation anywhere, a wrong or unknown key: each is
/// one clear error from `bundle verify` and from install, and the slot's bytes do not change.
/// </summary>
public sealed class BundleTamperTests : IAsyncLifetime, IDisposable
{
    private readonly TestDevice _box = new(slotSize: 2 << 20);
    private string _image = "";
    private string _bundle = "";
    private byte[] _original = [];

    public async Task InitializeAsync()
    {
        _image = _box.MakeImage("image.img", (1 << 20) + 12345, seed: 7);
        _bundle = await _box.MakeBundleAsync("good.bundle", _image, chunkSize: 64 * 1024);
        _original = await File.ReadAllBytesAsync(_bundle);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _box.Dispose();

    [Fact]
    public async Task A_good_bundle_verifies_and_round_trips_its_manifest()
    {
        var bundle = await OpenAsync(_bundle);
        await new BundleVerifier(bundle).VerifyAllAsync(CancellationToken.None);
        var image = Assert.Single(bundle.Manifest.Images);
        Assert.Equal(TestDevice.Sha256Of(_image), image.Sha256);
        Assert.Equal(new FileInfo(_image).Length, image.Size);
        Assert.Equal(17, image.ChunkCount);
        Assert.Equal("2.0.0", bundle.Manifest.Version);
        Assert.Equal(TestDevice.Compatible, bundle.Manifest.Compatible);
        Assert.True(image.Payload.Length < image.Size, "mixed content should compress");
    }

    public static TheoryData<string> Regions() => new() { "header", "manifest", "signature", "index", "payload" };

    [Theory]
    [MemberData(nameof(Regions))]
    public async Task A_flipped_byte_in_each_region_is_refused_by_verify_and_install(string region)
    {
        var bundle = await OpenAsync(_bundle);
        var image = bundle.Manifest.Images[0];
        var index = await bundle.ReadIndexAsync(image, CancellationToken.None);
        var offsets = region switch
        {
            "header" => Enumerable.Range(0, BundleHeader.Size).Select(i => (long)i),
            "manifest" => Spread(bundle.Header.ManifestOffset, bundle.Header.ManifestLength, 24),
            "signature" => Spread(bundle.Header.SignatureOffset, bundle.Header.SignatureLength, 16),
            "index" => Spread(bundle.Header.DataOffset + image.Index.Offset, image.Index.Length, 24),
            // One byte inside every payload chunk: each chunk is checked on its own.
            _ => index.Entries.Select(e => bundle.PayloadOffset(image) + e.Offset + (e.StoredLength / 2)),
        };
        int tried = 0;
        foreach (long offset in offsets)
        {
            var bytes = (byte[])_original.Clone();
            bytes[offset] ^= 0x10;
            string path = _box.Path($"flip-{region}.bundle");
            await File.WriteAllBytesAsync(path, bytes);

            var verifyError = await Assert.ThrowsAnyAsync<UpdaterException>(async () =>
            {
                var b = await OpenAsync(path);
                await new BundleVerifier(b).VerifyAllAsync(CancellationToken.None);
            });
            Assert.Equal(ExitCode.BadInput, verifyError.ExitCode);
            Assert.Contains(path, verifyError.Message, StringComparison.Ordinal);
            await AssertInstallRefusedWithoutWriteAsync(path);
            tried++;
        }
        Assert.True(tried >= 16, $"only {tried} offsets tried in {region}");
    }

    [Fact]
    public async Task A_flipped_zstd_frame_header_byte_is_refused_by_the_stored_hash_before_the_decoder_sees_it()
    {
        var bundle = await OpenAsync(_bundle);
        var image = bundle.Manifest.Images[0];
        var index = await bundle.ReadIndexAsync(image, CancellationToken.None);
        var zstdChunks = Enumerable.Range(0, index.Entries.Count).Where(i => index.Entries[i].Encoding == ChunkEncoding.Zstd).ToList();
        Assert.True(zstdChunks.Count >= 4, $"only {zstdChunks.Count} zstd chunks");
        byte[] slotBefore = await File.ReadAllBytesAsync(_box.SlotB);
        foreach (int chunk in zstdChunks)
        {
            // Byte 4 of a zstd frame is its frame header descriptor: what the decoder parses first.
            var bytes = (byte[])_original.Clone();
            bytes[index.BundleOffset(chunk) + 4] ^= 0x20;
            string path = _box.Path("frame-header.bundle");
            await File.WriteAllBytesAsync(path, bytes);
            string expected = $"{path}: image 'rootfs' chunk {chunk} (bundle byte offset {index.BundleOffset(chunk)}): SHA-256 of the stored bytes does not match the signed index (checked before decoding)";

            // `bundle verify` decodes chunk after chunk: every zstd chunk before the tampered one, and not it.
            var decodes = new StrongBox<int>();
            ChunkCodec.DecodeCounter.Value = decodes;
            try
            {
                var b = await OpenAsync(path);
                var e = await Assert.ThrowsAsync<BundleFormatException>(() => new BundleVerifier(b).VerifyAllAsync(CancellationToken.None));
                Assert.Equal(expected, e.Message);
                Assert.Equal(zstdChunks.IndexOf(chunk), decodes.Value);
            }
            finally
            {
                ChunkCodec.DecodeCounter.Value = null;
            }

            // A streamed install (as over HTTP: no whole-payload check first) stops at the same check.
            var install = await Assert.ThrowsAsync<BundleFormatException>(() => _box.InstallAsync(path, new FakeBootloader(), new InstallOptions { PrecheckPayload = false }));
            Assert.Equal(expected, install.Message);
            // Writes go in chunk order and this one failed: its region still holds the slot's old bytes.
            var region = Range.StartAt((int)index.ChunkOffset(chunk));
            Assert.True((await File.ReadAllBytesAsync(_box.SlotB))[region].AsSpan().SequenceEqual(slotBefore[region]), $"chunk {chunk} region changed");
        }
    }

    [Fact]
    public async Task A_format_1_bundle_is_refused_with_a_clear_error()
    {
        var bytes = (byte[])_original.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(60), System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(0, 60)));
        string path = _box.Path("format1.bundle");
        await File.WriteAllBytesAsync(path, bytes);
        var e = await Assert.ThrowsAsync<BundleFormatException>(() => OpenAsync(path));
        Assert.Equal($"{path}: bundle format version 1 at byte offset 8 is not supported (this updater reads version 2; rebuild it with this updater's `bundle create`)", e.Message);
        await AssertInstallRefusedWithoutWriteAsync(path);
    }

    [Fact]
    public async Task A_bundle_truncated_at_any_of_many_offsets_is_refused()
    {
        int tried = 0;
        for (long length = 0; length < _original.Length; length += Math.Max(1, _original.Length / 97))
        {
            string path = _box.Path("truncated.bundle");
            await File.WriteAllBytesAsync(path, _original.AsSpan(0, (int)length).ToArray());
            var e = await Assert.ThrowsAnyAsync<UpdaterException>(async () =>
            {
                var b = await OpenAsync(path);
                await new BundleVerifier(b).VerifyAllAsync(CancellationToken.None);
            });
            Assert.Equal(ExitCode.BadInput, e.ExitCode);
            tried++;
        }
        // The last byte matters too.
        string last = _box.Path("short-by-one.bundle");
        await File.WriteAllBytesAsync(last, _original.AsSpan(0, _original.Length - 1).ToArray());
        Assert.Contains("truncated", (await Assert.ThrowsAnyAsync<UpdaterException>(() => OpenAsync(last))).Message, StringComparison.Ordinal);
        Assert.True(tried > 90);
        await AssertInstallRefusedWithoutWriteAsync(last);
    }

    [Fact]
    public async Task Appended_bytes_are_refused()
    {
        string path = _box.Path("longer.bundle");
        await File.WriteAllBytesAsync(path, [.. _original, 0]);
        var e = await Assert.ThrowsAsync<BundleFormatException>(() => OpenAsync(path));
        Assert.Contains("1 unexpected bytes after the last payload", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bundle_signed_by_a_key_the_root_does_not_name_is_refused_naming_the_key_id()
    {
        string otherKey = _box.Path("other.key");
        using (var key = SigningKey.Generate())
        {
            await File.WriteAllBytesAsync(otherKey, key.ExportPrivatePem());
        }
        string path = await _box.MakeBundleAsync("other.bundle", _image, keyPath: otherKey);
        var e = await Assert.ThrowsAsync<UpdaterException>(() => OpenAsync(path));
        Assert.Contains("0 valid signature(s) by bundle keys, 1 of 1 needed (trust root version 1)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(not a key of trust root version 1)", e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCode.BadInput, e.ExitCode);
        await AssertInstallRefusedWithoutWriteAsync(path);
    }

    [Fact]
    public async Task A_signature_moved_onto_another_manifest_does_not_verify()
    {
        // Same key, different release: splice the first bundle's signature envelope onto the second's manifest.
        string other = await _box.MakeBundleAsync("v3.bundle", _image, version: "3.0.0");
        var a = await OpenAsync(_bundle);
        var bBytes = await File.ReadAllBytesAsync(other);
        var bHeader = BundleHeader.Parse(bBytes, bBytes.Length, other);
        var aSignature = _original.AsSpan((int)a.Header.SignatureOffset, (int)a.Header.SignatureLength).ToArray();
        Assert.Equal(bHeader.SignatureLength, aSignature.Length);
        aSignature.CopyTo(bBytes.AsSpan((int)bHeader.SignatureOffset));
        string spliced = _box.Path("spliced.bundle");
        await File.WriteAllBytesAsync(spliced, bBytes);
        var e = await Assert.ThrowsAsync<UpdaterException>(() => OpenAsync(spliced));
        Assert.Contains("does not verify", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hostile_header_with_a_huge_manifest_length_is_refused_before_allocating()
    {
        var bytes = (byte[])_original.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(24), long.MaxValue / 2);
        // Re-seal the CRC so the length itself is what gets judged.
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(60), System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(0, 60)));
        string path = _box.Path("hostile.bundle");
        await File.WriteAllBytesAsync(path, bytes);
        var e = await Assert.ThrowsAsync<BundleFormatException>(() => OpenAsync(path));
        Assert.Contains("manifest length", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_header_with_gigabytes_of_padding_is_refused()
    {
        var bytes = (byte[])_original.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(48), 3L << 30);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(60), System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(0, 60)));
        string path = _box.Path("padded.bundle");
        await File.WriteAllBytesAsync(path, bytes);
        var e = await Assert.ThrowsAsync<BundleFormatException>(() => OpenAsync(path));
        Assert.Contains("bytes of padding", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_and_empty_files_are_not_bundles()
    {
        string empty = _box.Path("empty.bundle");
        await File.WriteAllBytesAsync(empty, []);
        Assert.Contains("too short", (await Assert.ThrowsAsync<BundleFormatException>(() => OpenAsync(empty))).Message, StringComparison.Ordinal);
        string text = _box.Path("text.bundle");
        await File.WriteAllTextAsync(text, new string('x', 4096));
        Assert.Contains("not an update bundle", (await Assert.ThrowsAsync<BundleFormatException>(() => OpenAsync(text))).Message, StringComparison.Ordinal);
    }

    private async Task AssertInstallRefusedWithoutWriteAsync(string bundlePath)
    {
        string before = TestDevice.Sha256Of(_box.SlotB);
        string beforeA = TestDevice.Sha256Of(_box.SlotA);
        var bootloader = new FakeBootloader();
        var e = await Assert.ThrowsAnyAsync<UpdaterException>(() => _box.InstallAsync(bundlePath, bootloader));
        Assert.Equal(ExitCode.BadInput, e.ExitCode);
        Assert.Equal(before, TestDevice.Sha256Of(_box.SlotB));
        Assert.Equal(beforeA, TestDevice.Sha256Of(_box.SlotA));
        // A local install checks the whole payload before its first write: not even the bootloader is touched.
        Assert.Empty(bootloader.Calls);
    }

    private async Task<VerifiedBundle> OpenAsync(string path)
    {
        var source = FileBundleSource.Open(path);
        return await VerifiedBundle.OpenAsync(source, _box.LoadRoot(), CancellationToken.None);
    }

    private static IEnumerable<long> Spread(long start, long length, int count) =>
        Enumerable.Range(0, count).Select(i => start + (length - 1) * i / (count - 1)).Distinct();
}
