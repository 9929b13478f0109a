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
        {"format":1,"compatible":"board","version":"2.0.0","security_version":1,"created":"2026-11-28T00:00:00Z"{{top}},
         "images":[{"slot_class":"rootfs","size":8192,"sha256":"{{Hex}}","chunk_size":4096,"chunk_count":2,"compression":"zstd",
                    "index":{"offset":0,"length":96,"sha256":"{{Hex}}"},"payload":{"offset":96,"length":904,"sha256":"{{Hex}}"}{{image}}}]}
        """;

    private static BundleManifest Parse(string json, long dataLength = 1000) =>
        UnverifiedBundleReader.ParseManifest(Encoding.UTF8.GetBytes(json), Header, Header.DataOffset + dataLength, "b.bundle");

    [Fact]
    public void A_consistent_manifest_parses() => Assert.Equal(2, Parse(Manifest()).Images[0].ChunkCount);

    [Theory]
    [InlineData("\"chunk_count\":2", "\"chunk_count\":3", "images[0].chunk_count' is 3, expected 2")]
    [InlineData("\"chunk_size\":4096", "\"chunk_size\":5000", "images[0].chunk_size' must be a power of two")]
    [InlineData("\"length\":96,", "\"length\":48,", "images[0].index.length' does not match chunk_count")]
    [InlineData("\"offset\":96", "\"offset\":50", "overlap")]
    [InlineData("\"offset\":96", "\"offset\":-96", "does not lie within the data area")]
    [InlineData("\"offset\":0,", "\"offset\":9223372036854775800,", "images[0].index (offset 9223372036854775800, length 96) does not lie within")]
    [InlineData("\"size\":8192", "\"size\":9223372036854775807", "images[0].size' must be 1..")]
    [InlineData("\"length\":904", "\"length\":9000000", "is larger than the chunks can be")]
    [InlineData("\"length\":904", "\"length\":903", "1 unexpected bytes after the last payload")]
    [InlineData("\"slot_class\":\"rootfs\"", "\"slot_class\":\"../etc\"", "images[0].slot_class' must be letters")]
    [InlineData("\"version\":\"2.0.0\"", "\"version\":\"two\"", "version 'two' is not a version")]
    [InlineData("\"security_version\":1", "\"security_version\":-1", "security_version' must not be negative")]
    [InlineData("\"compression\":\"zstd\"", "\"compression\":\"lzma\"", "compression' must be zstd or none")]
    [InlineData("\"format\":1", "\"format\":2", "'format' is 2, expected 1")]
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
}
