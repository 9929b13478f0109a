using System.CommandLine;
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
            if (File.Exists(path) && !force)
            {
                throw new UpdaterException(ExitCode.Usage, $"{path} exists; pass --force to overwrite it");
            }
        }
        using var key = SigningKey.Generate();
        // Created with 0600 from the first byte: there is no moment when the private key is readable by others.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using (var stream = new FileStream(privatePath, options))
        {
            await stream.WriteAsync(key.ExportPrivatePem(), ct).ConfigureAwait(false);
        }
        File.SetUnixFileMode(privatePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllBytesAsync(publicPath, key.ExportPublicPem(), ct).ConfigureAwait(false);
        Console.WriteLine($"key id {key.Id}");
        Console.WriteLine($"private key: {privatePath} (keep it off devices)");
        Console.WriteLine($"public key:  {publicPath} (copy into each device's keyring directory)");
        return 0;
    }
}
