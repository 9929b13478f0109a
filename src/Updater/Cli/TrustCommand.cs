// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using NSec.Cryptography;
using Partition.Storage;
using Updater.Crypto;
using Updater.Device;
using Updater.Fleet;
using Updater.Text;
using Updater.Transport;
using Updater.Trust;

namespace Updater.Cli;

/// <summary>
/// `updater trust`: the root of trust (docs/trust.md). Vendor side: init, edit, sign, merge, show, verify — every
/// step works offline on files, and each key holder signs alone. Device side: status, update.
/// </summary>
internal static class TrustCommand
{
    public static Command Create()
    {
        var command = new Command("trust", "Create, rotate, sign and inspect trust roots; show and update the device's");
        command.Subcommands.Add(InitCommand());
        command.Subcommands.Add(EditCommand());
        command.Subcommands.Add(SignCommand());
        command.Subcommands.Add(MergeCommand());
        command.Subcommands.Add(ShowCommand());
        command.Subcommands.Add(VerifyCommand());
        command.Subcommands.Add(StatusCommand());
        command.Subcommands.Add(UpdateCommand());
        return command;
    }

    /// <summary>The root a vendor tool trusts: the first file is taken as given, each next must follow it.</summary>
    public static TrustRoot LoadChain(IReadOnlyList<string> files)
    {
        var root = TrustRoot.OpenAnchor(SmallFile.Read(files[0], TrustRoot.MaxFileBytes, "trust root"), files[0]);
        foreach (string file in files.Skip(1))
        {
            root = root.Next(SmallFile.Read(file, TrustRoot.MaxFileBytes, "trust root"), file);
        }
        return root;
    }

    private static Command InitCommand()
    {
        var output = new Option<string>("--output", "-o") { Description = "Draft root file to write (unsigned: sign it with `trust sign`)", Required = true };
        var keyOptions = TrustRoles.All.ToDictionary(r => r, r => new Option<string[]>($"--{r.Name()}-key")
        {
            Description = $"Public key (PEM) of the {r.Name()} role; repeat for several",
            Required = true,
        });
        var thresholds = ThresholdOption();
        var (expires, expiresIn) = ExpiryOptions("365d");
        var issued = IssuedOption();
        var command = new Command("init", "Write version 1 of a root: the keys of each role and their thresholds") { output, thresholds, expires, expiresIn, issued };
        foreach (var option in keyOptions.Values)
        {
            command.Options.Add(option);
        }
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var now = OptionTime.Parse(parse.GetValue(issued)!, "--issued", DateTimeOffset.UtcNow);
            var keys = keyOptions.ToDictionary(p => p.Key, p => (IReadOnlyList<PublicKey>)parse.GetValue(p.Value)!.Select(PublicKeys.Load).ToList());
            var root = RootDraft.Create(keys, ParseThresholds(parse.GetValue(thresholds)), now, Expiry(parse, expires, expiresIn, now) ?? now.AddDays(365));
            await WriteDraftAsync(parse.GetValue(output)!, root, ct).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static Command EditCommand()
    {
        var previous = new Argument<string>("previous") { Description = "The current root file (signed)" };
        var output = new Option<string>("--output", "-o") { Description = "Draft of the next version to write", Required = true };
        var add = new Option<string[]>("--add") { Description = "ROLE=PUB.pem: add a key to a role (root, bundle, channel); repeat" };
        var remove = new Option<string[]>("--remove") { Description = "[ROLE=]KEYID or [ROLE=]PUB.pem: remove a key from a role, or from every role (revocation); repeat" };
        var thresholds = ThresholdOption();
        var (expires, expiresIn) = ExpiryOptions(null);
        var issued = IssuedOption();
        var command = new Command("edit", "Write the next version of a root: keys added or removed, thresholds, expiry") { previous, output, add, remove, thresholds, expires, expiresIn, issued };
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var now = OptionTime.Parse(parse.GetValue(issued)!, "--issued", DateTimeOffset.UtcNow);
            string path = parse.GetValue(previous)!;
            var current = RootRules.Parse(SignedFile.Read(SmallFile.Read(path, TrustRoot.MaxFileBytes, "root file"), TrustRoot.MaxFileBytes, path, "root file", allowUnsigned: true).Payload, path);
            var adds = (parse.GetValue(add) ?? []).Select(a =>
            {
                var (role, value) = SplitRole(a, "--add", required: true);
                return (role!.Value, PublicKeys.Load(value));
            }).ToList();
            var removes = (parse.GetValue(remove) ?? []).Select(r =>
            {
                var (role, value) = SplitRole(r, "--remove", required: false);
                string id = File.Exists(value) ? KeyId.Of(PublicKeys.Load(value).Export(KeyBlobFormat.RawPublicKey)) : value;
                return (role, id);
            }).ToList();
            var next = RootDraft.Next(current, adds, removes, ParseThresholds(parse.GetValue(thresholds)), now, Expiry(parse, expires, expiresIn, now));
            await WriteDraftAsync(parse.GetValue(output)!, next, ct).ConfigureAwait(false);
            Console.WriteLine($"sign it with a threshold of version {current.Version}'s root keys (trust sign --previous {path}) and of its own");
            return 0;
        }, ct));
        return command;
    }

    private static Command SignCommand()
    {
        var file = new Argument<string>("root") { Description = "Root file to add signatures to (changed in place)" };
        var previous = new Option<string?>("--previous") { Description = "The version before, when this is a rotation: its root keys must sign too" };
        var signers = new SignerOptions();
        var command = new Command("sign", "Add signatures to a root file; each key holder can sign alone, offline") { file, previous };
        signers.AddTo(command);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            string path = parse.GetValue(file)!;
            var (draft, document) = ReadDraft(path);
            var before = parse.GetValue(previous) is { } p ? ReadDraft(p).Document : null;
            using var keys = signers.Load(parse);
            var signed = await RootSigning.SignAsync(draft, document, before, keys.Signers, ct).ConfigureAwait(false);
            await AtomicFile.WriteAsync(path, signed.ToBytes(), ct, AtomicFile.WorldReadable).ConfigureAwait(false);
            Console.WriteLine($"{path}: signed by {string.Join(", ", keys.KeyIds)}");
            PrintProgress(signed, document, before);
            return 0;
        }, ct));
        return command;
    }

    private static Command MergeCommand()
    {
        var files = new Argument<string[]>("copies") { Description = "Copies of one root draft, each signed by someone", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "Root file with every signature", Required = true };
        var previous = new Option<string?>("--previous") { Description = "The version before, to show both thresholds" };
        var command = new Command("merge", "Merge the signatures of copies of one root draft") { files, output, previous };
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var copies = parse.GetValue(files)!.Select(ReadDraft).ToList();
            var merged = RootSigning.Merge(copies.Select(c => c.File).ToList(), parse.GetValue(output)!);
            await AtomicFile.WriteAsync(parse.GetValue(output)!, merged.ToBytes(), ct, AtomicFile.WorldReadable).ConfigureAwait(false);
            PrintProgress(merged, copies[0].Document, parse.GetValue(previous) is { } p ? ReadDraft(p).Document : null);
            return 0;
        }, ct));
        return command;
    }

    private static Command ShowCommand()
    {
        var file = new Argument<string>("root") { Description = "Root file (signed or a draft)" };
        var previous = new Option<string?>("--previous") { Description = "The version before, to check the rotation's signatures" };
        var command = new Command("show", "Print a root: version, expiry, the keys and threshold of each role, and who signed") { file, previous };
        command.SetAction((parse, ct) => CliRunner.RunAsync(() =>
        {
            var (draft, document) = ReadDraft(parse.GetValue(file)!);
            Console.WriteLine($"root version {document.Version}, issued {UtcMinute.Format(document.Issued)}, expires {UtcMinute.Format(document.Expires)}");
            PrintRoles(document);
            bool ready = PrintProgress(draft, document, parse.GetValue(previous) is { } p ? ReadDraft(p).Document : null);
            return Task.FromResult(ready ? 0 : (int)ExitCode.Refused);
        }, ct));
        return command;
    }

    private static Command VerifyCommand()
    {
        var files = new Argument<string[]>("roots") { Description = "Root files in version order: the first is trusted as given, each next must follow", Arity = ArgumentArity.OneOrMore };
        var command = new Command("verify", "Check a chain of roots the way a device walks it") { files };
        command.SetAction((parse, ct) => CliRunner.RunAsync(() =>
        {
            var root = LoadChain(parse.GetValue(files)!);
            Console.WriteLine(SafeText.Escape($"OK: chain ends at root version {root.Version}, expires {UtcMinute.Format(root.Document.Expires)}"));
            return Task.FromResult(0);
        }, ct));
        return command;
    }

    private static Command StatusCommand()
    {
        var command = new Command("status", "Show the trust root this device uses: version, expiry, the keys of each role");
        command.SetAction((parse, ct) => CliRunner.RunAsync(() =>
        {
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!, parse.GetValue(GlobalOptions.BootedSlot));
            var root = context.Trust.Load();
            var now = context.Time.GetUtcNow();
            Console.WriteLine(SafeText.Escape($"root version {root.Version} from {root.Source} (shipped: {context.Trust.AnchorPath})"));
            Console.WriteLine($"issued {UtcMinute.Format(root.Document.Issued)}, expires {UtcMinute.Format(root.Document.Expires)}{(now >= root.Document.Expires ? ": EXPIRED, nothing is trusted until the next version is installed" : "")}");
            PrintRoles(root.Document);
            return Task.FromResult(0);
        }, ct));
        return command;
    }

    private static Command UpdateCommand()
    {
        var files = new Argument<string[]>("roots") { Description = "Root files to apply in order (default: N.root.json beside the [channel] url)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("update", "Walk the device's trust root forward, one version at a time") { files };
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!, parse.GetValue(GlobalOptions.BootedSlot));
            long before = context.Trust.Load().Version;
            TrustRoot root;
            if (parse.GetValue(files) is { Length: > 0 } given)
            {
                root = await context.Trust.ApplyAsync(given, ct).ConfigureAwait(false);
            }
            else
            {
                var channel = context.Config.RequireChannel();
                using var http = UpdaterHttpClient.Create(channel.TransportOptions(context.Time));
                var fetcher = new ChannelFetcher(channel.Url, http, channel.TransportOptions(context.Time));
                root = (await context.Trust.UpdateAsync(fetcher.RootSource(), ct).ConfigureAwait(false)).Root;
            }
            Console.WriteLine(root.Version == before ? $"root version {root.Version}: no newer version" : $"root version {before} -> {root.Version}");
            return 0;
        }, ct));
        return command;
    }

    /// <summary>The root's issued time: devices never let their clock fall behind it, so a test or a reproducible build may set it.</summary>
    private static Option<string> IssuedOption() => new("--issued") { Description = "Issued time (ISO 8601, UTC, or now); devices never let their clock fall behind it", DefaultValueFactory = _ => "now" };

    private static Option<string[]> ThresholdOption() => new("--threshold") { Description = "ROLE=K: K signatures of the role's keys are needed (default 1, or as before); repeat per role" };

    private static (Option<string?> At, Option<string?> In) ExpiryOptions(string? defaultIn) => (
        new Option<string?>("--expires") { Description = "Expiry time (ISO 8601, UTC)" },
        new Option<string?>("--expires-in") { Description = $"Expiry as a duration from now, e.g. 365d{(defaultIn is null ? " (default: as long as the version before)" : $" (default {defaultIn})")}" });

    private static DateTimeOffset? Expiry(ParseResult parse, Option<string?> at, Option<string?> @in, DateTimeOffset now)
    {
        if (parse.GetValue(at) is { } text)
        {
            return OptionTime.Parse(text, "--expires", now);
        }
        if (parse.GetValue(@in) is not { } span)
        {
            return null;
        }
        return HealthCheck.Parsing.DurationParser.TryParse(span, out var duration, TimeSpan.FromDays(3650))
            ? now + duration
            : throw new UpdaterException(ExitCode.Usage, $"--expires-in '{span}' is not a duration such as 365d");
    }

    private static Dictionary<TrustRole, int> ParseThresholds(string[]? values)
    {
        var result = new Dictionary<TrustRole, int>();
        foreach (string value in values ?? [])
        {
            var (role, number) = SplitRole(value, "--threshold", required: true);
            if (!int.TryParse(number, out int k) || k < 1)
            {
                throw new UpdaterException(ExitCode.Usage, $"--threshold '{value}': expected ROLE=K with K a positive number");
            }
            result[role!.Value] = k;
        }
        return result;
    }

    private static (TrustRole? Role, string Value) SplitRole(string text, string option, bool required)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0 && TrustRoles.TryParse(text[..eq], out var role))
        {
            return (role, text[(eq + 1)..]);
        }
        return required
            ? throw new UpdaterException(ExitCode.Usage, $"{option} '{text}': expected ROLE=VALUE with ROLE one of root, bundle, channel")
            : (null, text);
    }

    private static (SignedFile File, RootDocument Document) ReadDraft(string path)
    {
        var file = SignedFile.Read(SmallFile.Read(path, TrustRoot.MaxFileBytes, "root file"), TrustRoot.MaxFileBytes, path, "root file", allowUnsigned: true);
        return (file, RootRules.Parse(file.Payload, path));
    }

    private static async Task WriteDraftAsync(string path, RootDocument root, CancellationToken ct)
    {
        await AtomicFile.WriteAsync(path, RootDraft.DraftFile(root), ct, AtomicFile.WorldReadable).ConfigureAwait(false);
        Console.WriteLine($"{path}: draft of root version {root.Version} (unsigned), expires {UtcMinute.Format(root.Expires)}");
        PrintRoles(root);
    }

    /// <summary>One line per role: its threshold and its key ids (hex: nothing to escape).</summary>
    private static void PrintRoles(RootDocument root)
    {
        foreach (var role in TrustRoles.All)
        {
            var keys = root.Roles[role];
            Console.WriteLine($"  {role.Name(),-8} {keys.Threshold} of {keys.Keys.Count}: {string.Join(", ", keys.Keys)}");
        }
    }

    /// <returns>Whether every threshold is met: devices will accept the file.</returns>
    private static bool PrintProgress(SignedFile file, RootDocument document, RootDocument? previous)
    {
        bool ready = true;
        foreach (var p in RootSigning.Progress(file, document, previous))
        {
            ready &= p.Met;
            string invalid = p.Invalid.Count == 0 ? "" : $"; INVALID signatures by {string.Join(", ", p.Invalid)}";
            Console.WriteLine($"  {p.Label}: {p.Signed.Count} of {p.Threshold} needed{(p.Signed.Count == 0 ? "" : $" ({string.Join(", ", p.Signed)})")}{invalid}{(p.Met ? "" : $"; not yet signed by {string.Join(", ", p.Missing)}")}");
        }
        Console.WriteLine(ready ? "ready: devices will accept this root" : previous is null && document.Version > 1
            ? "not ready (give --previous to check the rotation's signatures)"
            : "not ready: more signatures are needed");
        return ready && (previous is not null || document.Version == 1);
    }
}
