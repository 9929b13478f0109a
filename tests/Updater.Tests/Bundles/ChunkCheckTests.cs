// SPDX-License-Identifier: Apache-2.0
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Updater.Bundles;

namespace Updater.Tests.Bundles;

/// <summary>
/// The one decode-and-verify step between stored payload bytes and a slot: each way a chunk can be wrong is one
/// clear error that names the bundle, the image, the chunk and its byte offset, and nothing unverified comes out.
/// </summary>
public class ChunkCheckTests
{
    private const int ChunkSize = 4096;
    private const long PayloadStart = 8192;

    /// <summary>An index of two chunks: chunk 0 of 4096 bytes, and chunk 1, a short last chunk of 100 bytes.</summary>
    /// <param name="storedSha1">SHA-256 of chunk 1's stored bytes; null: the same as <paramref name="sha1"/> (a chunk stored as is).</param>
    private static ChunkIndex Index(byte[] chunk0, byte[] stored0, ChunkEncoding encoding0, byte[] sha1, int storedLength1, ChunkEncoding encoding1, byte[]? storedSha1 = null)
    {
        var entries = new[]
        {
            new ChunkEntry(SHA256.HashData(chunk0), SHA256.HashData(stored0), 0, stored0.Length, encoding0),
            new ChunkEntry(sha1, storedSha1 ?? sha1, stored0.Length, storedLength1, encoding1),
        };
        byte[] bytes = ChunkIndex.Encode(entries);
        var image = new ImageManifest
        {
            SlotClass = "rootfs",
            Size = ChunkSize + 100,
            Sha256 = new string('0', 64),
            ChunkSize = ChunkSize,
            ChunkCount = 2,
            Compression = "zstd",
            Index = new IndexLocation(0, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes))),
            Payload = new PayloadLocation(bytes.Length, stored0.Length + storedLength1, new string('0', 64)),
        };
        return ChunkIndex.Parse(bytes, image, 4096, PayloadStart, "b.bundle");
    }

    private static byte[] Compress(byte[] data)
    {
        var stored = new byte[ChunkIndex.MaxStoredLength(Math.Max(data.Length, ChunkSize))];
        var (n, encoding) = ChunkCodec.Encode(data, stored, 3);
        Assert.Equal(ChunkEncoding.Zstd, encoding);
        return stored[..n];
    }

    private static readonly byte[] Chunk0 = Enumerable.Range(0, ChunkSize).Select(i => (byte)(i % 7)).ToArray();
    private static readonly byte[] Chunk1 = Enumerable.Range(0, 100).Select(i => (byte)(i * 3)).ToArray();

    private static string ChunkOneIn(ChunkIndex index) => $"b.bundle: image 'rootfs' chunk 1 (bundle byte offset {PayloadStart + index.Entries[1].Offset})";

    [Fact]
    public void A_good_chunk_comes_out_at_its_pinned_length()
    {
        byte[] stored0 = Compress(Chunk0);
        var index = Index(Chunk0, stored0, ChunkEncoding.Zstd, SHA256.HashData(Chunk1), Chunk1.Length, ChunkEncoding.Stored);
        var destination = new byte[ChunkSize];

        Assert.True(ChunkCheck.DecodeAndVerify(index, 0, stored0, destination).SequenceEqual(Chunk0));
        Assert.True(ChunkCheck.DecodeAndVerify(index, 1, Chunk1, destination).SequenceEqual(Chunk1));
    }

    [Fact]
    public void Stored_bytes_of_another_length_than_the_index_pins_are_refused()
    {
        byte[] stored0 = Compress(Chunk0);
        var index = Index(Chunk0, stored0, ChunkEncoding.Zstd, SHA256.HashData(Chunk1), Chunk1.Length, ChunkEncoding.Stored);

        // One byte more than pinned: the stored bytes of chunk 1 followed by a stray byte.
        var e = Assert.Throws<BundleFormatException>(() => ChunkCheck.DecodeAndVerify(index, 1, [.. Chunk1, 0], new byte[ChunkSize]));

        Assert.Equal($"{ChunkOneIn(index)}: 101 stored bytes, the signed index says 100", e.Message);
    }

    [Fact]
    public void A_frame_that_would_expand_past_the_pinned_length_is_refused_even_into_a_large_buffer()
    {
        // A decompression bomb: a few hundred bytes that expand to 1 MiB, for a chunk pinned at 100 bytes.
        // Its index hash is of the first 100 bytes, so only the bounded decode stands in the way.
        byte[] expanded = new byte[1 << 20];
        byte[] bomb = Compress(expanded);
        byte[] stored0 = Compress(Chunk0);
        // The bomb's stored bytes are what the (signed, hostile) index pins: only the bounded decode stands in the way.
        var index = Index(Chunk0, stored0, ChunkEncoding.Zstd, SHA256.HashData(expanded.AsSpan(0, 100)), bomb.Length, ChunkEncoding.Zstd, SHA256.HashData(bomb));
        var destination = new byte[expanded.Length];
        Array.Fill(destination, (byte)0xEE);

        var e = Assert.Throws<BundleFormatException>(() => ChunkCheck.DecodeAndVerify(index, 1, bomb, destination));

        Assert.Equal($"{ChunkOneIn(index)}: zstd chunk does not decode to 100 bytes", e.Message);
        Assert.DoesNotContain(destination.AsSpan(100).ToArray(), b => b != 0xEE);
    }

    [Fact]
    public void A_chunk_whose_content_does_not_hash_to_the_index_is_refused()
    {
        // Stored bytes that match their pinned hash but decode to other content than the index pins: only the
        // content check after the decode can catch this (a build host that pinned the wrong content).
        byte[] content = new byte[100];
        byte[] other = (byte[])content.Clone();
        other[50] ^= 1;
        byte[] storedOther = Compress(other);
        byte[] stored0 = Compress(Chunk0);
        var index = Index(Chunk0, stored0, ChunkEncoding.Zstd, SHA256.HashData(content), storedOther.Length, ChunkEncoding.Zstd, SHA256.HashData(storedOther));

        var e = Assert.Throws<BundleFormatException>(() => ChunkCheck.DecodeAndVerify(index, 1, storedOther, new byte[ChunkSize]));

        Assert.Equal($"{ChunkOneIn(index)}: SHA-256 does not match the signed index", e.Message);
    }

    [Fact]
    public void A_flipped_zstd_frame_header_byte_is_refused_by_the_stored_hash_before_the_decoder_sees_it()
    {
        byte[] stored0 = Compress(Chunk0);
        var index = Index(Chunk0, stored0, ChunkEncoding.Zstd, SHA256.HashData(Chunk1), Chunk1.Length, ChunkEncoding.Stored);
        var decodes = new StrongBox<int>();
        ChunkCodec.DecodeCounter.Value = decodes;
        try
        {
            // The hook counts: a good zstd chunk reaches the decoder once.
            ChunkCheck.DecodeAndVerify(index, 0, stored0, new byte[ChunkSize]);
            Assert.Equal(1, decodes.Value);
            decodes.Value = 0;

            for (int at = 0; at < 6; at++)
            {
                // Bytes 0-3 are zstd's magic, byte 4 the frame header descriptor, then window and sizes.
                byte[] tampered = (byte[])stored0.Clone();
                tampered[at] ^= 0x40;

                var e = Assert.Throws<BundleFormatException>(() => ChunkCheck.DecodeAndVerify(index, 0, tampered, new byte[ChunkSize]));

                Assert.Equal($"b.bundle: image 'rootfs' chunk 0 (bundle byte offset {PayloadStart}): SHA-256 of the stored bytes does not match the signed index (checked before decoding)", e.Message);
                Assert.Equal(0, decodes.Value);
            }
        }
        finally
        {
            ChunkCodec.DecodeCounter.Value = null;
        }
    }

    [Fact]
    public void An_index_record_of_a_chunk_stored_as_is_with_two_different_hashes_is_refused()
    {
        byte[] stored0 = Compress(Chunk0);
        var e = Assert.Throws<BundleFormatException>(() =>
            Index(Chunk0, stored0, ChunkEncoding.Zstd, SHA256.HashData(Chunk1), Chunk1.Length, ChunkEncoding.Stored, storedSha1: new byte[32]));
        Assert.Contains("chunk 1 of image 'rootfs' (index byte offset 4176) is stored as is, but its stored length is not 100 or its two hashes differ", e.Message, StringComparison.Ordinal);
    }
}
