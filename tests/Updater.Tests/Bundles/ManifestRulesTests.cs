// SPDX-License-Identifier: Apache-2.0
using System.Text;
using Updater.Bundles;

namespace Updater.Tests.Bundles;

/// <summary>
/// A manifest that passed its signature check but makes no sense (a buggy or compromised build host) is still
/// one clear error naming the field, never a crash or an install driven by nonsense.
/// </summary>
public class ManifestRulesTests
{
    private static readonly string Hex = new('a', 64);
    private static readonly BundleHeader Header = new(64, 100, 164, 100, 4096);

    private static string Manifest(string image = "", string top = "") => $$"""
        {"format":2,"compatible":"board","version":"2.0.0","security_version":1,"created":"2026-11-28T00:00:00Z"{{top}},
         "images":[{"slot_class":"rootfs","size":8192,"sha256":"{{Hex}}","chunk_size":4096,"chunk_count":2,"compression":"zstd",
                    "index":{"offset":0,"length":160,"sha256":"{{Hex}}"},"payload":{"offset":160,"length":840,"sha256":"{{Hex}}"}{{image}}}]}
        """;

    private static BundleManifest Parse(string json, long dataLength = 1000) =>
        UnverifiedBundleReader.ParseManifest(Encoding.UTF8.GetBytes(json), Header, Header.DataOffset + dataLength, "b.bundle");

    [Fact]
    public void A_consistent_manifest_parses() => Assert.Equal(2, Parse(Manifest()).Images[0].ChunkCount);

    [Theory]
    [InlineData("\"chunk_count\":2", "\"chunk_count\":3", "images[0].chunk_count' is 3, expected 2")]
    [InlineData("\"chunk_size\":4096", "\"chunk_size\":5000", "images[0].chunk_size' must be a power of two")]
    [InlineData("\"length\":160,", "\"length\":80,", "images[0].index.length' does not match chunk_count")]
    [InlineData("\"offset\":160", "\"offset\":50", "overlap")]
    [InlineData("\"offset\":160", "\"offset\":-160", "does not lie within the data area")]
    [InlineData("\"offset\":0,", "\"offset\":9223372036854775800,", "images[0].index (offset 9223372036854775800, length 160) does not lie within")]
    [InlineData("\"size\":8192", "\"size\":9223372036854775807", "images[0].size' must be 1..")]
    [InlineData("\"length\":840", "\"length\":9000000", "is larger than the chunks can be")]
    [InlineData("\"length\":840", "\"length\":839", "1 unexpected bytes after the last payload")]
    [InlineData("\"slot_class\":\"rootfs\"", "\"slot_class\":\"../etc\"", "images[0].slot_class' must be letters")]
    [InlineData("\"version\":\"2.0.0\"", "\"version\":\"two\"", "version 'two' is not a version")]
    [InlineData("\"security_version\":1", "\"security_version\":-1", "security_version' must not be negative")]
    [InlineData("\"compression\":\"zstd\"", "\"compression\":\"lzma\"", "compression' must be zstd or none")]
    [InlineData("\"format\":2", "\"format\":1", "'format' is 1, expected 2")]
    [InlineData("\"size\":8192", "\"size\":0", "images[0].size' must be 1..")]
    public void Each_inconsistency_names_its_field(string find, string replace, string expected)
    {
        string json = Manifest().Replace(find, replace, StringComparison.Ordinal);
        Assert.NotEqual(Manifest(), json);
        var e = Assert.Throws<BundleFormatException>(() => Parse(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("b.bundle: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"format\":1")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{\"format\":1,\"extra\":true}")]
    public void Malformed_json_is_one_error(string json)
    {
        var e = Assert.Throws<BundleFormatException>(() => Parse(json));
        Assert.Contains("manifest", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_fields_and_deep_nesting_are_refused()
    {
        Assert.Throws<BundleFormatException>(() => Parse(Manifest(top: ",\"evil\":1")));
        Assert.Throws<BundleFormatException>(() => Parse(Manifest(image: ",\"x\":" + new string('[', 5000) + new string(']', 5000))));
    }

    [Fact]
    public void Two_images_for_one_slot_class_are_refused()
    {
        string one = Manifest();
        int start = one.IndexOf("{\"slot_class\"", StringComparison.Ordinal);
        string image = one[start..one.LastIndexOf(']')];
        string two = one.Replace(image, image + "," + image, StringComparison.Ordinal);
        Assert.Contains("appears twice", Assert.Throws<BundleFormatException>(() => Parse(two)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"version\":\"2.0.0\"", "\"version\":\"9.0.0\",\"version\":\"2.0.0\"", "version")]
    [InlineData("\"chunk_size\":4096", "\"chunk_size\":4096,\"chunk_size\":4096", "chunk_size")]
    public void A_duplicate_key_is_refused_naming_the_key_and_its_offset_not_last_wins(string find, string replace, string key)
    {
        string json = Manifest().Replace(find, replace, StringComparison.Ordinal);
        var e = Assert.Throws<BundleFormatException>(() => Parse(json));
        Assert.Contains($"Duplicate property '{key}'", e.Message, StringComparison.Ordinal);
        Assert.Matches(@"\(at (byte offset \d+|line \d+, byte \d+ of that line), JSON path \$\.", e.Message);
    }

    [Fact]
    public void A_chunk_count_beyond_what_an_install_holds_in_memory_is_refused()
    {
        // 1 TiB of 4 KiB chunks: 2^28 chunks, an index of 20 GiB that an install would read into memory.
        long size = 1L << 40, chunks = size / 4096, index = chunks * ChunkIndex.EntrySize, payload = chunks;
        string json = Manifest()
            .Replace("\"size\":8192", $"\"size\":{size}", StringComparison.Ordinal)
            .Replace("\"chunk_count\":2", $"\"chunk_count\":{chunks}", StringComparison.Ordinal)
            .Replace("\"length\":160,", $"\"length\":{index},", StringComparison.Ordinal)
            .Replace("\"offset\":160,\"length\":840", $"\"offset\":{index},\"length\":{payload}", StringComparison.Ordinal);
        var e = Assert.Throws<BundleFormatException>(() => Parse(json, index + payload));
        Assert.Contains($"'images[0].chunk_count' brings the bundle to {chunks} chunks, more than the {ManifestRules.MaxChunkCount}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_chunk_cap_counts_all_images_of_a_bundle_together()
    {
        Assert.Equal(1 << 18, ManifestRules.MaxChunkCount);
        // 64 GiB at the default 1 MiB chunks fits four times over: an index of 5 MiB per such image.
        Assert.True((64L << 30) / BundleWriter.DefaultChunkSize * 4 <= ManifestRules.MaxChunkCount);
    }

    [Theory]
    [InlineData(",\"keep\":[]", "'keep' must list 1..16")]
    [InlineData(",\"keep\":[{\"slot_class\":\"rootfs\",\"accept_sha256\":[\"HEX\"]}]", "'keep[0].slot_class' 'rootfs' also has an image")]
    [InlineData(",\"keep\":[{\"slot_class\":\"appfs\",\"accept_sha256\":[]}]", "'keep[0].accept_sha256' must list 1..16")]
    [InlineData(",\"keep\":[{\"slot_class\":\"appfs\",\"accept_sha256\":[\"ABC\"]}]", "'keep[0].accept_sha256[0]' must be 64 lowercase hex")]
    [InlineData(",\"keep\":[{\"slot_class\":\"appfs\",\"accept_sha256\":[\"HEX\"]},{\"slot_class\":\"appfs\",\"accept_sha256\":[\"HEX\"]}]", "'keep[1].slot_class' 'appfs' appears twice")]
    [InlineData(",\"keep\":[{\"slot_class\":\"a/b\",\"accept_sha256\":[\"HEX\"]}]", "'keep[0].slot_class' must be letters")]
    public void A_keep_list_that_makes_no_sense_is_refused(string keep, string expected)
    {
        string json = Manifest()[..^1] + keep.Replace("HEX", Hex, StringComparison.Ordinal) + "}";
        Assert.Contains(expected, Assert.Throws<BundleFormatException>(() => Parse(json)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sensible_keep_list_parses()
    {
        string json = Manifest()[..^1] + $",\"keep\":[{{\"slot_class\":\"appfs\",\"accept_sha256\":[\"{Hex}\"]}}]}}";
        var kept = Assert.Single(Parse(json).Keep!);
        Assert.Equal(("appfs", Hex), (kept.SlotClass, Assert.Single(kept.AcceptSha256)));
    }

    [Fact]
    public void Hooks_that_a_device_can_run_parse()
    {
        var m = Parse(Manifest(top: ""","hooks":{"install_check":{"script":"#!/bin/sh -e\nexit 0\n"},"post_install":{"rootfs":{"script":"#!/bin/bash\ntrue","mount":true}}}"""));
        Assert.Equal(("/bin/sh", "-e"), m.Hooks!.InstallCheck!.Interpreter());
        Assert.True(m.Hooks.PostInstall!["rootfs"].Mount);
        Assert.Equal(("/bin/bash", (string?)null), m.Hooks.PostInstall["rootfs"].Interpreter());
    }

    [Theory]
    [InlineData("""{}""", "'hooks' names no hook")]
    [InlineData("""{"install_check":{"script":"echo no interpreter"}}""", "hooks.install_check.script' must start with a #! line")]
    [InlineData("""{"install_check":{"script":"#!sh\nexit 0"}}""", "hooks.install_check.script' must start with a #! line")]
    [InlineData("""{"install_check":{"script":""}}""", "hooks.install_check.script' must be 1..65536 bytes")]
    [InlineData("""{"install_check":{"script":"#!/bin/sh\n\u0000"}}""", "hooks.install_check.script' contains a NUL")]
    [InlineData("""{"install_check":{"script":"#!/bin/sh","mount":true}}""", "hooks.install_check.mount' must be false")]
    [InlineData("""{"post_install":{"appfs":{"script":"#!/bin/sh"}}}""", "hooks.post_install.appfs' names slot class 'appfs', which has no image")]
    [InlineData("""{"post_install":{"../x":{"script":"#!/bin/sh"}}}""", "hooks.post_install.?' must be keyed by a slot class")]
    [InlineData("""{"post_install":{"rootfs":null}}""", "hooks.post_install.rootfs' is null")]
    [InlineData("""{"post_install":{"rootfs":{"script":"#!/bin/sh"},"rootfs":{"script":"#!/bin/sh"}}}""", "rootfs")]
    [InlineData("""{"install_check":{"script":"#!/bin/sh","run_as":"nobody"}}""", "run_as")]
    public void A_hook_a_device_could_not_run_safely_is_refused_naming_its_field(string hooks, string expected)
    {
        var e = Assert.Throws<BundleFormatException>(() => Parse(Manifest(top: ",\"hooks\":" + hooks)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hook_script_over_64_KiB_is_refused()
    {
        string big = "#!/bin/sh\\n" + new string('#', BundleHookScript.MaxLength);
        var e = Assert.Throws<BundleFormatException>(() => Parse(Manifest(top: $",\"hooks\":{{\"install_check\":{{\"script\":\"{big}\"}}}}")));
        Assert.Contains("must be 1..65536 bytes", e.Message, StringComparison.Ordinal);
    }
}
