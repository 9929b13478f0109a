// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using Partition.Storage;
using Updater.Crypto;
using Updater.Fleet;
using Updater.Trust;

namespace Updater.Cli;

/// <summary>
/// `updater keygen DIR`: everything a first device needs — a root, a bundle and a channel key, and root version 1
/// naming them, signed. `updater keygen --output PREFIX`: one key pair (PREFIX.key, mode 0600, and PREFIX.pub.pem),
/// e.g. a second bundle key to add with `trust edit`.
/// </summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var directory = new Argument<string?>("directory") { Description = "Directory for a first key set: root, bundle and channel keys and root.json (version 1)", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string?>("--output", "-o") { Description = "Path prefix for one key pair: writes PREFIX.key (private, 0600) and PREFIX.pub.pem" };
        var expiresIn = new Option<string>("--expires-in") { Description = "How long root.json is valid (a duration, e.g. 365d)", DefaultValueFactory = _ => "365d" };
        var force = new Option<bool>("--force") { Description = "Overwrite existing files" };
        var command = new Command("keygen", "Create a first key set and trust root, or one Ed25519 key pair") { directory, output, expiresIn, force };
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            bool overwrite = parse.GetValue(force);
            if (parse.GetValue(output) is { } prefix)
            {
                if (parse.GetValue(directory) is not null)
                {
                    throw new UpdaterException(ExitCode.Usage, "give a directory (a first key set) or --output PREFIX (one key pair), not both");
                }
                using var key = await WritePairAsync(prefix, overwrite, ct).ConfigureAwait(false);
                Console.WriteLine($"key id {key.Id}");
                Console.WriteLine($"private key: {prefix}.key (keep it off devices)");
                Console.WriteLine($"public key:  {prefix}.pub.pem");
                return 0;
            }
            string dir = parse.GetValue(directory) ?? throw new UpdaterException(ExitCode.Usage, "give a directory for a first key set, or --output PREFIX for one key pair");
            if (!HealthCheck.Parsing.DurationParser.TryParse(parse.GetValue(expiresIn)!, out var validity, TimeSpan.FromDays(3650)))
            {
                throw new UpdaterException(ExitCode.Usage, $"--expires-in '{parse.GetValue(expiresIn)}' is not a duration such as 365d");
            }
            await FirstKeySetAsync(dir, validity, overwrite, ct).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static async Task FirstKeySetAsync(string dir, TimeSpan validity, bool force, CancellationToken ct)
    {
        string rootPath = Path.Combine(dir, "root.json");
        Refuse(rootPath, force);
        Directory.CreateDirectory(dir);
        var keys = new Dictionary<TrustRole, SigningKey>();
        try
        {
            foreach (var role in TrustRoles.All)
            {
                keys[role] = await WritePairAsync(Path.Combine(dir, role.Name()), force, ct).ConfigureAwait(false);
            }
            var now = DateTimeOffset.UtcNow;
            var document = RootDraft.Create(keys.ToDictionary(k => k.Key, k => (IReadOnlyList<NSec.Cryptography.PublicKey>)[k.Value.PublicKey]),
                new Dictionary<TrustRole, int>(), now, now + validity);
            var draft = new SignedFile(RootDraft.Serialize(document), []);
            var signed = await RootSigning.SignAsync(draft, document, null, [keys[TrustRole.Root]], ct).ConfigureAwait(false);
            await AtomicFile.WriteAsync(rootPath, signed.ToBytes(), ct, AtomicFile.WorldReadable).ConfigureAwait(false);
            foreach (var (role, key) in keys)
            {
                Console.WriteLine($"{role.Name(),-8} key {key.Id}: {Path.Combine(dir, role.Name())}.key");
            }
            Console.WriteLine($"{rootPath}: trust root version 1, expires {UtcMinute.Format(document.Expires)}");
            Console.WriteLine($"Ship {rootPath} in the image as /etc/updater/root.json; sign bundles with bundle.key, channels with channel.key;");
            Console.WriteLine("keep root.key offline: it signs only the next root (docs/trust.md).");
        }
        finally
        {
            foreach (var key in keys.Values)
            {
                key.Dispose();
            }
        }
    }

    private static async Task<SigningKey> WritePairAsync(string prefix, bool force, CancellationToken ct)
    {
        string privatePath = prefix + ".key";
        string publicPath = prefix + ".pub.pem";
        Refuse(privatePath, force);
        Refuse(publicPath, force);
        var key = SigningKey.Generate();
        // Each file is written beside its name (O_EXCL|O_NOFOLLOW, created 0600) and renamed over it: there is no
        // moment when the private key sits in a file others can read, and an existing file or symlink at the
        // name is replaced, not written through.
        await AtomicFile.WriteAsync(privatePath, key.ExportPrivatePem(), ct, AtomicFile.OwnerOnly).ConfigureAwait(false);
        await AtomicFile.WriteAsync(publicPath, key.ExportPublicPem(), ct, AtomicFile.WorldReadable).ConfigureAwait(false);
        return key;
    }

    private static void Refuse(string path, bool force)
    {
        // A dangling symlink counts as existing: --force replaces the link itself, never what it points at.
        if ((File.Exists(path) || new FileInfo(path).LinkTarget is not null) && !force)
        {
            throw new UpdaterException(ExitCode.Usage, $"{path} exists; pass --force to overwrite it");
        }
    }
}
