// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Partition.Storage;
using Updater.Bundles;
using Updater.Config;
using Updater.Crypto;
using Updater.Fleet;
using Updater.Transport;

namespace Updater.Cli;

/// <summary>`updater channel create|sign|show`: the release manager's side of channels (docs/channel-format.md).</summary>
internal static class ChannelCommand
{
    public static Command Create()
    {
        var command = new Command("channel", "Create, sign and inspect signed channel files");
        command.Subcommands.Add(CreateCommand());
        command.Subcommands.Add(SignCommand());
        command.Subcommands.Add(ShowCommand());
        return command;
    }

    private static Command CreateCommand()
    {
        var output = new Option<string>("--output", "-o") { Description = "Channel file to write", Required = true };
        var signers = new SignerOptions();
        var name = new Option<string>("--channel") { Description = "Channel name", DefaultValueFactory = _ => "stable" };
        var channelVersion = new Option<long>("--channel-version") { Description = "This file's version: higher than every file published before on this channel", Required = true };
        var issued = new Option<string>("--issued") { Description = "When this file is issued (ISO 8601, UTC, or now): devices never let their clock fall behind it", DefaultValueFactory = _ => "now" };
        var expires = new Option<string?>("--expires") { Description = "Expiry time (ISO 8601, UTC), after which devices refuse the file" };
        var expiresIn = new Option<string>("--expires-in") { Description = "Expiry as a duration from now (e.g. 14d), when --expires is not given", DefaultValueFactory = _ => "30d" };
        var compatible = new Option<string>("--compatible") { Description = "The board/product string devices must match", Required = true };
        var release = new Option<string>("--release") { Description = "Release version the channel offers, e.g. 2.1.0", Required = true };
        var bundleUrl = new Option<string>("--bundle-url") { Description = "Bundle URL, absolute or relative to the channel file's URL", Required = true };
        var bundle = new Option<string>("--bundle") { Description = "The bundle file: its size is taken and its manifest pinned by hash", Required = true };
        var waves = new Option<string[]>("--wave") { Description = "PERCENT@TIME, e.g. 1@2026-12-01T00:00Z; repeat for each wave (default 100@now)" };
        var groups = new Option<string[]>("--group") { Description = "Only devices in this [channel] group; repeat for several" };
        var halt = new Option<bool>("--halt") { Description = "Publish the rollout halted: no device starts installing the release" };
        var command = new Command("create", "Write a signed channel file naming the current release and its rollout")
        {
            output, name, channelVersion, issued, expires, expiresIn, compatible, release, bundleUrl, bundle, waves, groups, halt,
        };
        signers.AddTo(command);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var now = OptionTime.Parse(parse.GetValue(issued)!, "--issued", DateTimeOffset.UtcNow);
            long size;
            string manifestSha;
            // The channel pins the exact bundle (format 2): its size and the hash of its signed manifest, from the file.
            await using (var source = FileBundleSource.Open(parse.GetValue(bundle)!))
            {
                var (_, manifestBytes, _) = await UnverifiedBundleReader.ReadSignedPartAsync(source, ct).ConfigureAwait(false);
                size = source.Length;
                manifestSha = Convert.ToHexStringLower(SHA256.HashData(manifestBytes));
            }
            DateTimeOffset expiry;
            if (parse.GetValue(expires) is { } text)
            {
                expiry = OptionTime.Parse(text, "--expires", now);
            }
            else if (HealthCheck.Parsing.DurationParser.TryParse(parse.GetValue(expiresIn)!, out var span, TimeSpan.FromDays(365)))
            {
                expiry = now + span;
            }
            else
            {
                throw new UpdaterException(ExitCode.Usage, $"--expires-in '{parse.GetValue(expiresIn)}' is not a duration such as 14d");
            }
            var waveList = (parse.GetValue(waves) is { Length: > 0 } w ? w : ["100@now"]).Select(s => ParseWave(s, now)).ToList();
            var document = new ChannelDocument
            {
                Format = ChannelRules.Format,
                Channel = parse.GetValue(name)!,
                Version = parse.GetValue(channelVersion),
                Issued = now,
                Expires = expiry,
                Compatible = parse.GetValue(compatible)!,
                Release = new ChannelRelease { Version = parse.GetValue(release)!, BundleUrl = parse.GetValue(bundleUrl)!, BundleSize = size, ManifestSha256 = manifestSha },
                Rollout = new ChannelRollout { Halted = parse.GetValue(halt), Groups = parse.GetValue(groups) is { Length: > 0 } g ? g : null, Waves = waveList },
            };
            byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(document, ChannelJsonContext.Default.ChannelDocument);
            await WriteSignedAsync(bytes, signers, parse, parse.GetValue(output)!, ct).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static Command SignCommand()
    {
        var document = new Argument<string>("document") { Description = "Channel document (JSON, docs/channel-format.md) to sign as it is" };
        var output = new Option<string>("--output", "-o") { Description = "Channel file to write", Required = true };
        var signers = new SignerOptions();
        var command = new Command("sign", "Sign a hand-written channel document into a channel file") { document, output };
        signers.AddTo(command);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            string path = parse.GetValue(document)!;
            byte[] bytes = SmallFile.Read(path, VerifiedChannel.MaxFileBytes / 2, "channel document");
            await WriteSignedAsync(bytes, signers, parse, parse.GetValue(output)!, ct).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static Command ShowCommand()
    {
        var file = new Argument<string>("file") { Description = "Channel file" };
        var roots = new Option<string[]>("--root") { Description = "Verify the signatures against this trust root (repeat to walk a rotation chain: the first is trusted, each next must follow)" };
        var command = new Command("show", "Print a channel file's document (verified when --root is given)") { file, roots };
        command.SetAction((parse, ct) => CliRunner.RunAsync(() =>
        {
            string path = parse.GetValue(file)!;
            byte[] bytes = SmallFile.Read(path, VerifiedChannel.MaxFileBytes, "channel file");
            ChannelDocument doc;
            string verified;
            if (parse.GetValue(roots) is { Length: > 0 } chain)
            {
                var root = TrustCommand.LoadChain(chain);
                var channel = VerifiedChannel.Open(bytes, root, path);
                doc = channel.Document;
                verified = $"signatures verified: channel key(s) {channel.SignedBy} (trust root version {root.Version})";
            }
            else
            {
                var signed = SignedFile.Read(bytes, VerifiedChannel.MaxFileBytes, path, "channel file");
                doc = VerifiedChannel.ParseDocument(signed.Payload, path);
                verified = "signatures NOT verified (give --root)";
            }
            Console.WriteLine(JsonSerializer.Serialize(doc, ChannelJsonContext.Default.ChannelDocument));
            Console.Error.WriteLine(verified);
            return Task.FromResult(0);
        }, ct));
        return command;
    }

    private static async Task WriteSignedAsync(byte[] document, SignerOptions signers, ParseResult parse, string output, CancellationToken ct)
    {
        using var keys = signers.Load(parse);
        {
            byte[] file = await VerifiedChannel.SignAsync(document, keys.Signers, output, ct).ConfigureAwait(false);
            var doc = VerifiedChannel.ParseDocument(document, output);
            await AtomicFile.WriteAsync(output, file, ct, AtomicFile.WorldReadable).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{output}: channel '{doc.Channel}' version {doc.Version}, release {doc.Release.Version}, {doc.Rollout.Waves.Count} wave(s){(doc.Rollout.Halted ? ", HALTED" : "")}, issued {UtcMinute.Format(doc.Issued)}, expires {UtcMinute.Format(doc.Expires)}, signed by {string.Join(", ", keys.KeyIds)}"));
        }
    }

    private static RolloutWave ParseWave(string text, DateTimeOffset now)
    {
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || !double.TryParse(text[..at].TrimEnd('%'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double percent))
        {
            throw new UpdaterException(ExitCode.Usage, $"--wave '{text}': expected PERCENT@TIME, e.g. 10@2026-12-02T00:00Z");
        }
        return new RolloutWave(percent, OptionTime.Parse(text[(at + 1)..], "--wave", now));
    }
}
