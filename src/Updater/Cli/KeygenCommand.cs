// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using Partition.Storage;
using Updater.Crypto;

namespace Updater.Cli;

/// <summary>`updater keygen --output PREFIX`: PREFIX.key (private, mode 0600) and PREFIX.pub.pem (for keyrings).</summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output", "-o") { Description = "Path prefix: writes PREFIX.key (private, 0600) and PREFIX.pub.pem", Required = true };
        var force = new Option<bool>("--force") { Description = "Overwrite existing key files" };
        var command = new Command("keygen", "Create an Ed25519 signing key pair") { output, force };
        command.SetAction((parse, ct) => CliRunner.RunAsync(() => RunAsync(parse.GetValue(output)!, parse.GetValue(force), ct), ct));
        return command;
    }

    private static async Task<int> RunAsync(string prefix, bool force, CancellationToken ct)
    {
        string privatePath = prefix + ".key";
        string publicPath = prefix + ".pub.pem";
        foreach (string path in new[] { privatePath, publicPath })
        {
            // A dangling symlink counts as existing: --force replaces the link itself, never what it points at.
            if ((File.Exists(path) || new FileInfo(path).LinkTarget is not null) && !force)
            {
                throw new UpdaterException(ExitCode.Usage, $"{path} exists; pass --force to overwrite it");
            }
        }
        using var key = SigningKey.Generate();
        // Each file is written beside its name (O_EXCL|O_NOFOLLOW, created 0600) and renamed over it: there is no
        // moment when the private key sits in a file others can read, and an existing file or symlink at the
        // name is replaced, not written through.
        await AtomicFile.WriteAsync(privatePath, key.ExportPrivatePem(), ct, AtomicFile.OwnerOnly).ConfigureAwait(false);
        await AtomicFile.WriteAsync(publicPath, key.ExportPublicPem(), ct, AtomicFile.WorldReadable).ConfigureAwait(false);
        Console.WriteLine($"key id {key.Id}");
        Console.WriteLine($"private key: {privatePath} (keep it off devices)");
        Console.WriteLine($"public key:  {publicPath} (copy into each device's keyring directory)");
        return 0;
    }
}
