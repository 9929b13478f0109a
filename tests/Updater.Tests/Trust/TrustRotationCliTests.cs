// SPDX-License-Identifier: Apache-2.0
using Updater.Tests.Support;

namespace Updater.Tests.Trust;

/// <summary>
/// Root rotation end to end with the vendor's tools and a device, all through the real binary: version 1 signed
/// by two key holders apart and merged; version 2 replaces a root key; version 3 raises the bundle threshold; a
/// device that missed version 2 walks both; a version 3 not signed by version 2's threshold is refused.
/// </summary>
public sealed class TrustRotationCliTests : IDisposable
{
    private readonly TestDevice _device = new(slotSize: 2 << 20);

    public void Dispose() => _device.Dispose();

    private string P(string name) => _device.Path(name);

    private static Task<ProcessResult> Run(params string[] args) => UpdaterProcess.ExpectAsync(0, args);

    private string Pub(string who) => P($"{who}.pub.pem");

    private string Key(string who) => P($"{who}.key");

    private async Task<string> IdOfAsync(string who) => (await Run("keygen", "-o", P(who))).Stdout.Split('\n')[0]["key id ".Length..].Trim();

    [Fact]
    public async Task Rotations_are_made_offline_signed_apart_and_walked_by_a_device_that_missed_one()
    {
        foreach (string who in new[] { "r1", "r2", "r3", "b1", "b2", "c1" })
        {
            await IdOfAsync(who);
        }
        string www = Directory.CreateDirectory(P("www")).FullName;

        // Version 1: two of two root keys. Each holder signs a copy alone; the copies are merged.
        await Run("trust", "init", "-o", P("1.draft"), "--root-key", Pub("r1"), "--root-key", Pub("r2"), "--bundle-key", Pub("b1"), "--channel-key", Pub("c1"),
            "--threshold", "root=2", "--issued", "2026-11-01T00:00:00Z", "--expires-in", "3650d");
        File.Copy(P("1.draft"), P("1.by-r1"));
        File.Copy(P("1.draft"), P("1.by-r2"));
        await Run("trust", "sign", P("1.by-r1"), "-k", Key("r1"));
        var half = await UpdaterProcess.RunAsync("trust", "show", P("1.by-r1"));
        Assert.Equal((int)ExitCode.Refused, half.ExitCode);
        Assert.Contains("1 of 2 needed", half.Stdout, StringComparison.Ordinal);
        await Run("trust", "sign", P("1.by-r2"), "-k", Key("r2"));
        await Run("trust", "merge", "-o", P("1.root.json"), P("1.by-r1"), P("1.by-r2"));
        Assert.Contains("ready: devices will accept this root", (await Run("trust", "show", P("1.root.json"))).Stdout, StringComparison.Ordinal);

        // Version 2: r2 is replaced by r3. Signed by a threshold of version 1 (r1, r2) and of its own (r1, r3).
        await Run("trust", "edit", P("1.root.json"), "-o", P("2.root.json"), "--remove", $"root={Pub("r2")}", "--add", $"root={Pub("r3")}", "--issued", "2026-11-02T00:00:00Z");
        await Run("trust", "sign", P("2.root.json"), "--previous", P("1.root.json"), "-k", Key("r1"), "-k", Key("r3"));
        var notYet = await UpdaterProcess.RunAsync("trust", "show", P("2.root.json"), "--previous", P("1.root.json"));
        Assert.Contains("version 1's root keys (the version before): 1 of 2 needed", notYet.Stdout, StringComparison.Ordinal);
        await Run("trust", "sign", P("2.root.json"), "--previous", P("1.root.json"), "-k", Key("r2"));
        await Run("trust", "show", P("2.root.json"), "--previous", P("1.root.json"));

        // Version 3: bundles now need two bundle keys (b2 joins). Signed by r1 and r3: version 2's threshold and its own.
        await Run("trust", "edit", P("2.root.json"), "-o", P("3.root.json"), "--add", $"bundle={Pub("b2")}", "--threshold", "bundle=2", "--issued", "2026-11-03T00:00:00Z");
        await Run("trust", "sign", P("3.root.json"), "--previous", P("2.root.json"), "-k", Key("r1"), "-k", Key("r3"));
        Assert.Contains("OK: chain ends at root version 3", (await Run("trust", "verify", P("1.root.json"), P("2.root.json"), P("3.root.json"))).Stdout, StringComparison.Ordinal);

        // The device ships version 1 and follows a channel in www/, where versions 2 and 3 are published.
        File.Copy(P("1.root.json"), _device.RootPath, overwrite: true);
        File.Copy(P("2.root.json"), Path.Combine(www, "2.root.json"));
        File.Copy(P("3.root.json"), Path.Combine(www, "3.root.json"));
        _device.AppendConfig($"[channel]\nname = stable\nurl = {Path.Combine(www, "stable.channel")}\nmachine-id-file = {_device.MachineIdFile}\n");
        string image = _device.MakeImage("v2.img", 1 << 20, seed: 3);
        string onlyB1 = P("one.bundle");
        await Run("bundle", "create", "-o", onlyB1, "-k", Key("b1"), "--compatible", TestDevice.Compatible, "--version", "2.0.0", $"rootfs={image}");
        await Run("channel", "create", "-o", Path.Combine(www, "stable.channel"), "-k", Key("c1"), "--channel-version", "1", "--compatible", TestDevice.Compatible,
            "--release", "2.0.0", "--bundle-url", "2.0.0.bundle", "--bundle", onlyB1);
        File.Copy(onlyB1, Path.Combine(www, "2.0.0.bundle"));

        // One key's signature is no longer enough once the device has walked to version 3.
        var refused = await UpdaterProcess.RunAsync("--config", _device.ConfigPath, "check", "--install");
        Assert.Equal((int)ExitCode.BadInput, refused.ExitCode);
        Assert.Contains("1 valid signature(s) by bundle keys", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("2 of 2 needed (trust root version 3)", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("root version 3 from", (await Run("--config", _device.ConfigPath, "trust", "status")).Stdout, StringComparison.Ordinal);

        // Signed by both bundle keys (the same manifest, so the channel's pin still holds): installed.
        string both = P("both.bundle");
        await Run("bundle", "create", "-o", both, "-k", Key("b1"), "-k", Key("b2"), "--compatible", TestDevice.Compatible, "--version", "2.0.0", $"rootfs={image}",
            "--created", BundleCreatedOf(onlyB1));
        File.Copy(both, Path.Combine(www, "2.0.0.bundle"), overwrite: true);
        await Run("channel", "create", "-o", Path.Combine(www, "stable.channel"), "-k", Key("c1"), "--channel-version", "2", "--compatible", TestDevice.Compatible,
            "--release", "2.0.0", "--bundle-url", "2.0.0.bundle", "--bundle", both);
        var installed = await Run("--config", _device.ConfigPath, "check", "--install");
        Assert.Contains("installed; reboot to activate", installed.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_not_signed_by_the_threshold_of_the_one_before_is_refused()
    {
        foreach (string who in new[] { "r1", "r2", "r3", "b1", "c1" })
        {
            await IdOfAsync(who);
        }
        await Run("trust", "init", "-o", P("1.root.json"), "--root-key", Pub("r1"), "--root-key", Pub("r2"), "--bundle-key", Pub("b1"), "--channel-key", Pub("c1"),
            "--threshold", "root=2", "--issued", "2026-11-01T00:00:00Z");
        await Run("trust", "sign", P("1.root.json"), "-k", Key("r1"), "-k", Key("r2"));
        await Run("trust", "edit", P("1.root.json"), "-o", P("2.root.json"), "--remove", $"root={Pub("r2")}", "--add", $"root={Pub("r3")}");
        await Run("trust", "sign", P("2.root.json"), "--previous", P("1.root.json"), "-k", Key("r1"), "-k", Key("r2"), "-k", Key("r3"));
        // Version 3 by r1 and r2: a threshold of version 1's keys, but r2 left in version 2.
        await Run("trust", "edit", P("2.root.json"), "-o", P("3.root.json"), "--threshold", "root=1");
        await UpdaterProcess.ExpectAsync((int)ExitCode.Usage, "trust", "sign", P("3.root.json"), "--previous", P("2.root.json"), "-k", Key("r2"));
        // The vendor tool refuses to sign with r2; the forger signs it by other means.
        using (var r1 = Updater.Crypto.SigningKey.Load(Key("r1")))
        using (var r2 = Updater.Crypto.SigningKey.Load(Key("r2")))
        {
            var draft = Updater.Crypto.SignedFile.Read(File.ReadAllBytes(P("3.root.json")), 1 << 16, "3.root.json", "root file", allowUnsigned: true);
            var signatures = Updater.Crypto.SignatureEnvelope.Parse(Updater.Crypto.SignatureEnvelope.Create(Updater.Trust.TrustRoot.SignatureDomain, draft.Payload, [r1, r2]), "forged");
            File.WriteAllBytes(P("3.root.json"), (draft with { Signatures = signatures }).ToBytes());
        }
        File.Copy(P("1.root.json"), _device.RootPath, overwrite: true);

        var result = await UpdaterProcess.RunAsync("--config", _device.ConfigPath, "trust", "update", P("2.root.json"), P("3.root.json"));

        Assert.Equal((int)ExitCode.BadInput, result.ExitCode);
        Assert.Contains("as root version 3, the successor of trusted version 2", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 valid signature(s) by root keys", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("(not a key of trust root version 2)", result.Stderr, StringComparison.Ordinal);
        // Version 2 was accepted before the refusal and stays: the walk never goes back.
        Assert.Contains("root version 2 from", (await Run("--config", _device.ConfigPath, "trust", "status")).Stdout, StringComparison.Ordinal);
    }

    private static string BundleCreatedOf(string bundle)
    {
        var info = System.Text.Json.JsonDocument.Parse(ProcessRunner.RunChecked(UpdaterProcess.Executable, "bundle", "info", "--json", bundle).Stdout).RootElement;
        return info.GetProperty("manifest").GetProperty("created").GetString()!;
    }
}
