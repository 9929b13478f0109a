// SPDX-License-Identifier: Apache-2.0
using NSec.Cryptography;

namespace Updater.Crypto;

/// <summary>Ed25519 public keys as files (SubjectPublicKeyInfo PEM, as keygen writes *.pub.pem) and as raw hex (in roots).</summary>
internal static class PublicKeys
{
    public const int RawHexLength = 64;

    public static PublicKey Load(string path)
    {
        byte[] blob = SmallFile.Read(path, SigningKey.MaxFileBytes, "public key");
        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, blob, KeyBlobFormat.PkixPublicKeyText, out var key) || key is null)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{path}: not an Ed25519 public key in PEM form");
        }
        return key;
    }

    public static string RawHex(PublicKey key) => Convert.ToHexStringLower(key.Export(KeyBlobFormat.RawPublicKey));

    public static bool TryFromRawHex(string? hex, out PublicKey key)
    {
        key = null!;
        if (hex is not { Length: RawHexLength } || !hex.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            return false;
        }
        return PublicKey.TryImport(SignatureAlgorithm.Ed25519, Convert.FromHexString(hex), KeyBlobFormat.RawPublicKey, out key!) && key is not null;
    }
}
