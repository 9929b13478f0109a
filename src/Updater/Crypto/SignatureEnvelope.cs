// SPDX-License-Identifier: Apache-2.0
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using NSec.Cryptography;

namespace Updater.Crypto;

/// <summary>One signature: which key made it and the 64 signature bytes (hex in JSON: fixed length, nothing to escape).</summary>
internal sealed record SignatureEntry(
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("algorithm")] string Algorithm,
    [property: JsonPropertyName("signature")] string Signature);

/// <summary>The JSON envelope of one or more signatures over one document's exact bytes.</summary>
internal sealed record SignatureEnvelopeDocument(
    [property: JsonPropertyName("signatures")] IReadOnlyList<SignatureEntry> Signatures);

[JsonSerializable(typeof(SignatureEnvelopeDocument))]
[JsonSourceGenerationOptions(WriteIndented = false, AllowDuplicateProperties = false, MaxDepth = 8)]
internal sealed partial class SignatureJsonContext : JsonSerializerContext;

/// <summary>
/// Signs and verifies a document's exact bytes. What is signed is a domain string, a NUL byte, then the
/// document: a bundle manifest's signature can never pass as a channel file's, or the other way round.
/// </summary>
internal static class SignatureEnvelope
{
    public const string Algorithm = "ed25519";
    public const int MaxBytes = 64 * 1024;
    public const int MaxSignatures = 16;

    public static byte[] Create(string domain, ReadOnlySpan<byte> document, IEnumerable<SigningKey> keys)
    {
        byte[] message = Message(domain, document);
        var entries = keys.Select(k => new SignatureEntry(k.Id, Algorithm, Convert.ToHexStringLower(k.Sign(message)))).ToList();
        if (entries.Count == 0)
        {
            throw new ArgumentException("at least one signing key is needed", nameof(keys));
        }
        return JsonSerializer.SerializeToUtf8Bytes(new SignatureEnvelopeDocument(entries), SignatureJsonContext.Default.SignatureEnvelopeDocument);
    }

    /// <summary>
    /// Passes when at least one signature is by a key in the keyring and valid. Any signature by a known key
    /// that does not verify fails the whole envelope: that is tampering, not an unknown signer.
    /// </summary>
    /// <returns>The id of the key that verified.</returns>
    public static string Verify(string domain, ReadOnlySpan<byte> document, ReadOnlySpan<byte> envelope, Keyring keyring, string what)
    {
        SignatureEnvelopeDocument? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(envelope, SignatureJsonContext.Default.SignatureEnvelopeDocument);
        }
        catch (JsonException e)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{what}: signature envelope is not valid JSON: {e.Message}");
        }
        if (parsed?.Signatures is not { Count: > 0 } signatures)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{what}: signature envelope holds no signature");
        }
        if (signatures.Count > MaxSignatures)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{what}: {signatures.Count} signatures, at most {MaxSignatures} allowed");
        }
        byte[] message = Message(domain, document);
        string? verifiedBy = null;
        for (int i = 0; i < signatures.Count; i++)
        {
            var entry = signatures[i];
            if (entry is null || entry.KeyId is null || entry.Algorithm != Algorithm || entry.Signature is null)
            {
                throw new UpdaterException(ExitCode.BadInput, $"{what}: signature {i} is malformed (needs key_id, algorithm \"{Algorithm}\", signature)");
            }
            if (!keyring.TryGet(entry.KeyId, out var key))
            {
                continue;
            }
            byte[] signature;
            try
            {
                signature = Convert.FromHexString(entry.Signature);
            }
            catch (FormatException)
            {
                throw new UpdaterException(ExitCode.BadInput, $"{what}: signature {i} by key {entry.KeyId} is not hex");
            }
            if (signature.Length != SignatureAlgorithm.Ed25519.SignatureSize || !SignatureAlgorithm.Ed25519.Verify(key, message, signature))
            {
                throw new UpdaterException(ExitCode.BadInput, $"{what}: signature by key {entry.KeyId} does not verify: the signed data was changed or the signature is corrupt");
            }
            verifiedBy ??= entry.KeyId;
        }
        return verifiedBy ?? throw new UpdaterException(ExitCode.BadInput,
            $"{what}: signed by unknown key(s) {string.Join(", ", signatures.Select(s => s.KeyId))}; keyring {keyring.Source} holds {string.Join(", ", keyring.KeyIds)}");
    }

    private static byte[] Message(string domain, ReadOnlySpan<byte> document)
    {
        int prefix = Encoding.ASCII.GetByteCount(domain) + 1;
        var message = new byte[prefix + document.Length];
        Encoding.ASCII.GetBytes(domain, message);
        document.CopyTo(message.AsSpan(prefix));
        return message;
    }
}
