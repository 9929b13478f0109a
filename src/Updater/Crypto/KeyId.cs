// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;

namespace Updater.Crypto;

/// <summary>
/// A key's id: the first 16 bytes of SHA-256 over its raw 32-byte Ed25519 public key, as 32 lowercase hex
/// characters. A signature names the key that made it, so a root of many keys verifies without trying each.
/// </summary>
internal static class KeyId
{
    public const int HexLength = 32;

    public static string Of(ReadOnlySpan<byte> rawPublicKey)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(rawPublicKey, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
