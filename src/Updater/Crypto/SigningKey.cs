// SPDX-License-Identifier: Apache-2.0
using NSec.Cryptography;

namespace Updater.Crypto;

/// <summary>
/// An Ed25519 private key, loaded from a PKCS#8 PEM file written by <c>updater keygen</c> (OpenSSL reads the
/// same files). Its bytes are never logged and never leave this type except through <see cref="Sign"/>.
/// </summary>
internal sealed class SigningKey : ISigner, IDisposable
{
    public const int MaxFileBytes = 4096;

    private readonly Key _key;

    private SigningKey(Key key)
    {
        _key = key;
        Id = KeyId.Of(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public string Id { get; }

    string ISigner.KeyId => Id;

    public PublicKey PublicKey => _key.PublicKey;

    public static SigningKey Generate() =>
        new(Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    public static SigningKey Load(string path)
    {
        byte[] blob = SmallFile.Read(path, MaxFileBytes, "private key");
        if (!Key.TryImport(SignatureAlgorithm.Ed25519, blob, KeyBlobFormat.PkixPrivateKeyText, out var key,
                new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }) || key is null)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{path}: not an Ed25519 private key in PEM (PKCS#8) form");
        }
        return new SigningKey(key);
    }

    public byte[] Sign(ReadOnlySpan<byte> data) => SignatureAlgorithm.Ed25519.Sign(_key, data);

    public Task<byte[]> SignAsync(byte[] message, CancellationToken cancellationToken) => Task.FromResult(Sign(message));

    public byte[] ExportPrivatePem() => _key.Export(KeyBlobFormat.PkixPrivateKeyText);

    public byte[] ExportPublicPem() => _key.PublicKey.Export(KeyBlobFormat.PkixPublicKeyText);

    public void Dispose() => _key.Dispose();
}
