// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using Updater.Crypto;

namespace Updater.Cli;

/// <summary>
/// The signing options every signing command shares: key files (<c>--key</c>) and external signers
/// (<c>--sign-command</c> with the public key it signs for, <c>--sign-public-key</c>, paired in order), so a key
/// can stay in an HSM or a cloud KMS. Each signer signs once.
/// </summary>
internal sealed class SignerOptions
{
    public Option<string[]> Keys { get; } = new("--key", "-k") { Description = "Signing key file (PREFIX.key from keygen); repeat to sign with several" };

    public Option<string[]> Commands { get; } = new("--sign-command")
    {
        Description = "External signer: a shell command that reads the bytes to sign on stdin and writes the Ed25519 signature (64 raw bytes or 128 hex digits) on stdout; repeat for several, each with its --sign-public-key",
    };

    public Option<string[]> CommandKeys { get; } = new("--sign-public-key") { Description = "The public key (PEM) of the matching --sign-command, in the same order" };

    public void AddTo(Command command)
    {
        command.Options.Add(Keys);
        command.Options.Add(Commands);
        command.Options.Add(CommandKeys);
    }

    /// <summary>The signers the command line names; key files are loaded now, so a bad one fails before any work.</summary>
    public SignerSet Load(ParseResult parse)
    {
        string[] keys = parse.GetValue(Keys) ?? [];
        string[] commands = parse.GetValue(Commands) ?? [];
        string[] publicKeys = parse.GetValue(CommandKeys) ?? [];
        if (commands.Length != publicKeys.Length)
        {
            throw new UpdaterException(ExitCode.Usage, $"{commands.Length} --sign-command but {publicKeys.Length} --sign-public-key: each external signer needs the public key it signs for");
        }
        if (keys.Length + commands.Length == 0)
        {
            throw new UpdaterException(ExitCode.Usage, "give at least one --key or --sign-command");
        }
        var set = new SignerSet();
        try
        {
            foreach (string path in keys)
            {
                set.Add(SigningKey.Load(path));
            }
            for (int i = 0; i < commands.Length; i++)
            {
                set.Add(CommandSigner.Create(commands[i], publicKeys[i]));
            }
        }
        catch
        {
            set.Dispose();
            throw;
        }
        var twice = set.Signers.GroupBy(s => s.KeyId).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            set.Dispose();
            throw new UpdaterException(ExitCode.Usage, $"key {twice.Key} is given twice: one signature per key");
        }
        return set;
    }
}

/// <summary>Loaded signers; disposing wipes the private keys held in memory.</summary>
internal sealed class SignerSet : IDisposable
{
    private readonly List<ISigner> _signers = [];

    public IReadOnlyList<ISigner> Signers => _signers;

    public IEnumerable<string> KeyIds => _signers.Select(s => s.KeyId);

    public void Add(ISigner signer) => _signers.Add(signer);

    public void Dispose()
    {
        foreach (var signer in _signers.OfType<IDisposable>())
        {
            signer.Dispose();
        }
        _signers.Clear();
    }
}
