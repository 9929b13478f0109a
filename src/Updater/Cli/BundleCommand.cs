// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Updater.Cli.Output;
using Updater.Bundles;
using Updater.Crypto;
using Updater.Text;
using Updater.Transport;

namespace Updater.Cli;

/// <summary>`updater bundle create|info|verify`: the vendor side.</summary>
internal static class BundleCommand
{
    public static Command Create()
    {
        var command = new Command("bundle", "Create, inspect and verify update bundles");
        command.Subcommands.Add(CreateCommand());
        command.Subcommands.Add(InfoCommand());
        command.Subcommands.Add(VerifyCommand());
        return command;
    }

    private static Command CreateCommand()
    {
        var images = new Argument<string[]>("images") { Description = "One or more CLASS=IMAGE-FILE pairs, e.g. rootfs=rootfs.ext4", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "Bundle file to write", Required = true };
        var signers = new SignerOptions();
        var compatible = new Option<string>("--compatible") { Description = "The board/product string devices must match", Required = true };
        var version = new Option<string>("--version") { Description = "Release version, e.g. 2.1.0", Required = true };
        var security = new Option<long>("--security-version") { Description = "Anti-rollback counter; devices refuse lower ones", DefaultValueFactory = _ => 0 };
        var allowDowngrade = new Option<bool>("--allow-downgrade") { Description = "Signed permission to install over a newer version" };
        var description = new Option<string?>("--description") { Description = "Free text shown by bundle info" };
        var chunkSize = new Option<int>("--chunk-size") { Description = "Chunk size in bytes (power of two, 4096..16 MiB)", DefaultValueFactory = _ => BundleWriter.DefaultChunkSize };
        var level = new Option<int>("--level") { Description = "zstd level", DefaultValueFactory = _ => ChunkCodec.DefaultLevel };
        var noCompress = new Option<bool>("--no-compress") { Description = "Store chunks uncompressed" };
        var created = new Option<string?>("--created") { Description = "Creation time (ISO 8601) for reproducible bundles; default now" };
        var keep = new Option<string[]>("--keep")
        {
            Description = "CLASS=SHA256[,SHA256...]: a slot class this bundle has no image for, kept on devices whose slot of that class holds one of these images; repeat per class",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("create", "Make a signed bundle from image files") { images, output, compatible, version, security, allowDowngrade, description, chunkSize, level, noCompress, created, keep };
        signers.AddTo(command);
        var hooks = new BundleHookOptions();
        hooks.AddTo(command);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var inputs = parse.GetValue(images)!.Select(ParseImage).ToList();
            var bundleHooks = hooks.Read(parse);
            var kept = parse.GetValue(keep) is { Length: > 0 } k ? k.Select(ParseKeep).ToList() : null;
            using var signingKeys = signers.Load(parse);
            {
                var request = new BundleCreateRequest
                {
                    Images = inputs,
                    Compatible = parse.GetValue(compatible)!,
                    Version = parse.GetValue(version)!,
                    SecurityVersion = parse.GetValue(security),
                    AllowDowngrade = parse.GetValue(allowDowngrade),
                    Description = parse.GetValue(description),
                    ChunkSize = parse.GetValue(chunkSize),
                    CompressionLevel = parse.GetValue(level),
                    Compress = !parse.GetValue(noCompress),
                    Created = parse.GetValue(created) is { } c ? OptionTime.Parse(c, "--created", DateTimeOffset.UtcNow) : null,
                    Keep = kept,
                    Hooks = bundleHooks,
                };
                string path = parse.GetValue(output)!;
                var manifest = await new BundleWriter(request, signingKeys.Signers).WriteAsync(path, null, ct).ConfigureAwait(false);
                long size = new FileInfo(path).Length;
                long imageBytes = manifest.Images.Sum(i => i.Size);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{path}: version {manifest.Version} for {manifest.Compatible}, {manifest.Images.Count} image(s), {imageBytes} image bytes in {size} bundle bytes ({100.0 * size / imageBytes:0.0}%), signed by {string.Join(", ", signingKeys.KeyIds)}"));
                return 0;
            }
        }, ct));
        return command;
    }

    private static Command InfoCommand()
    {
        var file = new Argument<string>("bundle") { Description = "Bundle file" };
        var output = new OutputOptions();
        var command = new Command("info", "Show a bundle's manifest (the signature is not checked; use verify)") { file };
        output.AddTo(command);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            await using var source = FileBundleSource.Open(parse.GetValue(file)!);
            var (header, manifestBytes, signature) = await UnverifiedBundleReader.ReadSignedPartAsync(source, ct).ConfigureAwait(false);
            var manifest = UnverifiedBundleReader.ParseManifest(manifestBytes, header, source.Length, source.Name);
            var keyIds = SignatureKeyIds(signature);
            var report = new BundleInfoReport(source.Name, source.Length, header.DataOffset, keyIds, manifest);
            ReportWriter.Write(output.Get(parse), report, CliJsonContext.Default.BundleInfoReport, JsonSchemas.BundleInfo, PrintInfo);
            return 0;
        }, ct));
        return command;
    }

    private static void PrintInfo(BundleInfoReport report)
    {
        var manifest = report.Manifest;
        var keyIds = report.SignatureKeyIds;
        // The manifest is read unverified here: every line of it is outside text.
        static void Line(string text) => Console.WriteLine(SafeText.Escape(text));
        Line($"bundle:           {report.File} ({report.Size} bytes)");
        Line($"compatible:       {manifest.Compatible}");
        Line($"version:          {manifest.Version}");
        Line($"security version: {manifest.SecurityVersion}");
        Line($"created:          {manifest.Created}");
        if (manifest.AllowDowngrade)
        {
            Line("allow downgrade:  yes");
        }
        if (manifest.Description is not null)
        {
            Line($"description:      {manifest.Description}");
        }
        Line($"signed by:        {string.Join(", ", keyIds)} (not verified here)");
        foreach (var image in manifest.Images)
        {
            Line(string.Create(CultureInfo.InvariantCulture,
                $"image {image.SlotClass}: {image.Size} bytes, sha256 {image.Sha256}, {image.ChunkCount} chunks of {image.ChunkSize}, {image.Compression} payload {image.Payload.Length} bytes"));
        }
        foreach (var kept in manifest.Keep ?? [])
        {
            Line($"keeps {kept.SlotClass}: accepts {string.Join(", ", kept.AcceptSha256)}");
        }
        if (manifest.Hooks?.InstallCheck is { } check)
        {
            Line($"hook install-check: {HookLine(check)}");
        }
        foreach (var (slotClass, hook) in manifest.Hooks?.PostInstall ?? new Dictionary<string, BundleHookScript>())
        {
            Line($"hook post-install {slotClass}: {HookLine(hook)}{(hook.Mount ? ", image mounted read-only" : "")}");
        }
    }

    private static Command VerifyCommand()
    {
        var file = new Argument<string>("bundle") { Description = "Bundle file" };
        var roots = new Option<string[]>("--root") { Description = "Trust root to verify against (repeat to walk a rotation chain: the first is trusted, each next must follow)", Required = true };
        var command = new Command("verify", "Verify a bundle completely: signatures, manifest, every index and every chunk") { file, roots };
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var root = TrustCommand.LoadChain(parse.GetValue(roots)!);
            await using var source = FileBundleSource.Open(parse.GetValue(file)!);
            var bundle = await VerifiedBundle.OpenAsync(source, root, ct).ConfigureAwait(false);
            await new BundleVerifier(bundle).VerifyAllAsync(ct).ConfigureAwait(false);
            Console.WriteLine(SafeText.Escape($"{bundle.Name}: OK: version {bundle.Manifest.Version} for {bundle.Manifest.Compatible}, signed by {bundle.SignedBy}, {bundle.Manifest.Images.Sum(i => i.ChunkCount)} chunks verified"));
            return 0;
        }, ct));
        return command;
    }

    private static string HookLine(BundleHookScript hook) => string.Create(CultureInfo.InvariantCulture,
        $"{System.Text.Encoding.UTF8.GetByteCount(hook.Script)} bytes, {hook.Interpreter()?.Program ?? "no #! line"}, sha256 {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(hook.Script)))}");

    private static BundleImageInput ParseImage(string arg)
    {
        int eq = arg.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == arg.Length - 1)
        {
            throw new UpdaterException(ExitCode.Usage, $"'{arg}': expected CLASS=IMAGE-FILE, e.g. rootfs=rootfs.ext4");
        }
        return new BundleImageInput(arg[..eq], arg[(eq + 1)..]);
    }

    /// <summary>`--keep appfs=SHA256[,SHA256]`; the hashes themselves are judged by the manifest rules, as devices judge them.</summary>
    private static KeptSlotClass ParseKeep(string arg)
    {
        int eq = arg.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == arg.Length - 1)
        {
            throw new UpdaterException(ExitCode.Usage, $"--keep '{arg}': expected CLASS=SHA256[,SHA256...], e.g. appfs=<64 hex digits>");
        }
        return new KeptSlotClass(arg[..eq], arg[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries).Select(h => h.ToLowerInvariant()).ToList());
    }

    private static IReadOnlyList<string> SignatureKeyIds(byte[] envelope)
    {
        try
        {
            var doc = JsonSerializer.Deserialize(envelope, SignatureJsonContext.Default.SignatureEnvelopeDocument);
            return doc?.Signatures?.Select(s => s.KeyId).ToList() ?? [];
        }
        catch (JsonException e)
        {
            throw new BundleFormatException($"signature envelope is not valid JSON: {e.Message}");
        }
    }
}
