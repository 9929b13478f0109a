// SPDX-License-Identifier: Apache-2.0
using NSec.Cryptography;

namespace Updater.Crypto;

/// <summary>
/// The public keys a device trusts: a directory of PEM files (SubjectPublicKeyInfo, as <c>updater keygen</c>
/// writes *.pub.pem). Adding a key is dropping a file in; revoking is removing it. A file that is not a valid
/// key is an error naming the file, never silently skipped.
/// </summary>
internal sealed class Keyring
{
    private readonly Dictionary<string, PublicKey> _keys;

    private Keyring(string source, Dictionary<string, PublicKey> keys)
    {
        Source = source;
        _keys = keys;
    }

    public string Source { get; }

    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    public static Keyring Load(string path)
    {
        var files = new List<string>();
        if (Directory.Exists(path))
        {
            files.AddRange(Directory.GetFiles(path, "*.pem").Order(StringComparer.Ordinal));
        }
        else if (File.Exists(path))
        {
            files.Add(path);
        }
        else
        {
            throw new UpdaterException(ExitCode.Config, $"{path}: keyring not found (a directory of *.pem public keys)");
        }

        var keys = new Dictionary<string, PublicKey>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            byte[] blob = SmallFile.Read(file, SigningKey.MaxFileBytes, "public key");
            if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, blob, KeyBlobFormat.PkixPublicKeyText, out var key) || key is null)
            {
                throw new UpdaterException(ExitCode.Config, $"{file}: not an Ed25519 public key in PEM form");
            }
            keys[KeyId.Of(key.Export(KeyBlobFormat.RawPublicKey))] = key;
        }
        if (keys.Count == 0)
        {
            throw new UpdaterException(ExitCode.Config, $"{path}: keyring holds no *.pem public key");
        }
        return new Keyring(path, keys);
    }

    public bool TryGet(string keyId, out PublicKey key) => _keys.TryGetValue(keyId, out key!);
}
