// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Updater.Crypto;
using Updater.Tests.Support;

namespace Updater.Tests.Cli;

/// <summary>The vendor side through the real executable: keygen, bundle create, channel create/sign/show.</summary>
public sealed class ChannelCliTests : IDisposable
{
    private readonly TestDevice _device = new();

    public void Dispose() => _device.Dispose();

    [Fact]
    public async Task Creates_signs_and_shows_a_channel()
    {
        string key = Path.Combine(_device.Root, "vendor");
        await UpdaterProcess.ExpectAsync(0, "keygen", "-o", key);
        var (bundle, _) = await _device.MakeBundleAsync("2.1.0");
        string channel = Path.Combine(_device.Root, "stable.channel");
        string ring = Path.Combine(_device.Root, "vendor-root.json");
        using (var vendor = Updater.Crypto.SigningKey.Load(key + ".key"))
        {
            File.WriteAllBytes(ring, TestRoots.Single(vendor));
        }

        var created = await UpdaterProcess.ExpectAsync(0, "channel", "create", "-o", channel, "-k", key + ".key", "--channel-version", "3", "--compatible", TestDevice.Compatible,
            "--release", "2.1.0", "--bundle-url", "bundles/2.1.0.bundle", "--bundle", bundle,
            "--wave", "1@2026-12-01T00:00Z", "--wave", "10@2026-12-02T00:00Z", "--wave", "100@2026-12-04T00:00Z", "--group", "canary", "--issued", "2026-11-30T12:00Z", "--expires", "2027-01-01T00:00Z");
        Assert.Contains("version 3, release 2.1.0, 3 wave(s)", created.Stdout, StringComparison.Ordinal);

        var shown = await UpdaterProcess.ExpectAsync(0, "channel", "show", channel, "--root", ring);
        var doc = JsonDocument.Parse(shown.Stdout).RootElement;
        Assert.Equal(new FileInfo(bundle).Length, doc.GetProperty("release").GetProperty("bundle_size").GetInt64());
        Assert.Equal(await TestChannels.ManifestShaAsync(bundle), doc.GetProperty("release").GetProperty("manifest_sha256").GetString());
        Assert.Equal(2, doc.GetProperty("format").GetInt32());
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero), doc.GetProperty("issued").GetDateTimeOffset());
        Assert.Equal(10, doc.GetProperty("rollout").GetProperty("waves")[1].GetProperty("percent").GetDouble());
        Assert.Contains("signatures verified", shown.Stderr, StringComparison.Ordinal);

        // A hand-edited document: halt the rollout, raise the version, sign it.
        string edited = Path.Combine(_device.Root, "halt.json");
        await File.WriteAllTextAsync(edited, shown.Stdout.Replace("\"version\": 3", "\"version\": 4", StringComparison.Ordinal).Replace("\"halted\": false", "\"halted\": true", StringComparison.Ordinal));
        var signed = await UpdaterProcess.ExpectAsync(0, "channel", "sign", edited, "-k", key + ".key", "-o", channel);
        Assert.Contains("version 4", signed.Stdout, StringComparison.Ordinal);
        Assert.Contains("HALTED", signed.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_document_is_refused_and_no_file_is_written()
    {
        string key = Path.Combine(_device.Root, "vendor");
        await UpdaterProcess.ExpectAsync(0, "keygen", "-o", key);
        string doc = Path.Combine(_device.Root, "bad.json");
        File.WriteAllText(doc, "{\"format\":1,\"channel\":\"stable\",\"version\":0}");
        string output = Path.Combine(_device.Root, "out.channel");

        var result = await UpdaterProcess.ExpectAsync((int)ExitCode.BadInput, "channel", "sign", doc, "-k", key + ".key", "-o", output);

        Assert.StartsWith("updater: error: ", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task A_channel_is_only_created_from_its_bundle_and_a_document_without_a_pin_is_not_signed()
    {
        string key = Path.Combine(_device.Root, "vendor");
        await UpdaterProcess.ExpectAsync(0, "keygen", "-o", key);
        string output = Path.Combine(_device.Root, "out.channel");

        var noBundle = await UpdaterProcess.ExpectAsync((int)ExitCode.Usage, "channel", "create", "-o", output, "-k", key + ".key", "--channel-version", "3",
            "--compatible", TestDevice.Compatible, "--release", "2.1.0", "--bundle-url", "b.bundle");
        Assert.Contains("--bundle", noBundle.Stderr, StringComparison.Ordinal);

        string doc = Path.Combine(_device.Root, "unpinned.json");
        File.WriteAllText(doc, """{"format":2,"channel":"stable","version":4,"issued":"2026-12-01T00:00:00+00:00","expires":"2027-01-01T00:00:00+00:00","compatible":"test-board","release":{"version":"2.1.0","bundle_url":"b","bundle_size":1},"rollout":{"waves":[{"percent":100,"start":"2026-12-01T00:00:00+00:00"}]}}""");
        var unpinned = await UpdaterProcess.ExpectAsync((int)ExitCode.BadInput, "channel", "sign", doc, "-k", key + ".key", "-o", output);
        Assert.Contains("manifest_sha256", unpinned.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }
}
