// SPDX-License-Identifier: Apache-2.0
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

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
[JsonSourceGenerationOptions(WriteIndented = false, AllowDuplicateProperties = false, MaxDepth = 8,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
internal sealed partial class SignatureJsonContext : JsonSerializerContext;

/// <summary>
/// Makes and reads signatures over a document's exact bytes. What is signed is a domain string, a NUL byte,
/// then the document: a bundle manifest's signature can never pass as a channel file's or a root's. Whose
/// signatures count, and how many are needed, is the trust root's to say (Trust.TrustRoot).
/// </summary>
internal static class SignatureEnvelope
{
    public const string Algorithm = "ed25519";
    public const int MaxBytes = 64 * 1024;

    /// <summary>Enough for a root rotation signed by every key of two roots; more is not a real document.</summary>
    public const int MaxSignatures = 32;

    public const int SignatureHexLength = 128;

    /// <summary>Signs with keys in memory (tests, keygen).</summary>
    public static byte[] Create(string domain, ReadOnlySpan<byte> document, IEnumerable<SigningKey> keys)
    {
        byte[] message = Message(domain, document);
        return Serialize(keys.Select(k => new SignatureEntry(k.Id, Algorithm, Convert.ToHexStringLower(k.Sign(message)))).ToList());
    }

    /// <summary>Signs with each signer once, in order; an external signer's answer is checked before it is used.</summary>
    public static async Task<byte[]> CreateAsync(string domain, byte[] document, IReadOnlyList<ISigner> signers, CancellationToken cancellationToken)
    {
        return Serialize(await SignAsync(domain, document, signers, cancellationToken).ConfigureAwait(false));
    }

    public static async Task<List<SignatureEntry>> SignAsync(string domain, byte[] document, IReadOnlyList<ISigner> signers, CancellationToken cancellationToken)
    {
        byte[] message = Message(domain, document);
        var entries = new List<SignatureEntry>();
        foreach (var signer in signers)
        {
            byte[] signature = await signer.SignAsync(message, cancellationToken).ConfigureAwait(false);
            entries.Add(new SignatureEntry(signer.KeyId, Algorithm, Convert.ToHexStringLower(signature)));
        }
        return entries;
    }

    /// <summary>The exact length of the envelope these keys will make: every entry has a fixed length.</summary>
    public static int LengthFor(IEnumerable<string> keyIds) =>
        Serialize(keyIds.Select(id => new SignatureEntry(id, Algorithm, new string('0', SignatureHexLength))).ToList()).Length;

    public static byte[] Serialize(IReadOnlyList<SignatureEntry> entries)
    {
        if (entries.Count == 0)
        {
            throw new UpdaterException(ExitCode.Usage, "at least one signing key is needed");
        }
        return JsonSerializer.SerializeToUtf8Bytes(new SignatureEnvelopeDocument(entries), SignatureJsonContext.Default.SignatureEnvelopeDocument);
    }

    /// <summary>Reads an envelope and checks each entry's shape; whether they verify is <see cref="SignatureCheck"/>'s work.</summary>
    public static IReadOnlyList<SignatureEntry> Parse(ReadOnlySpan<byte> envelope, string what)
    {
        SignatureEnvelopeDocument? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(envelope, SignatureJsonContext.Default.SignatureEnvelopeDocument);
        }
        catch (JsonException e)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{what}: signature envelope is not valid JSON: {JsonProblem.Describe(e)}");
        }
        return CheckEntries(parsed?.Signatures, what);
    }

    /// <summary>Checks signature entries read from any file: count, shape, one signature per key.</summary>
    public static IReadOnlyList<SignatureEntry> CheckEntries(IReadOnlyList<SignatureEntry>? signatures, string what)
    {
        if (signatures is not { Count: > 0 })
        {
            throw new UpdaterException(ExitCode.BadInput, $"{what}: holds no signature");
        }
        if (signatures.Count > MaxSignatures)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{what}: {signatures.Count} signatures, at most {MaxSignatures} allowed");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < signatures.Count; i++)
        {
            var entry = signatures[i];
            if (entry is null || !IsLowerHex(entry.KeyId, KeyId.HexLength) || entry.Algorithm != Algorithm || !IsLowerHex(entry.Signature, SignatureHexLength))
            {
                throw new UpdaterException(ExitCode.BadInput, $"{what}: signature {i} is malformed (needs key_id: {KeyId.HexLength} lowercase hex digits, algorithm \"{Algorithm}\", signature: {SignatureHexLength} lowercase hex digits)");
            }
            if (!seen.Add(entry.KeyId))
            {
                throw new UpdaterException(ExitCode.BadInput, $"{what}: key {entry.KeyId} signs twice (signatures {signatures.ToList().FindIndex(s => s?.KeyId == entry.KeyId)} and {i}); one signature per key");
            }
        }
        return signatures;
    }

    public static byte[] Message(string domain, ReadOnlySpan<byte> document)
    {
        int prefix = Encoding.ASCII.GetByteCount(domain) + 1;
        var message = new byte[prefix + document.Length];
        Encoding.ASCII.GetBytes(domain, message);
        document.CopyTo(message.AsSpan(prefix));
        return message;
    }

    private static bool IsLowerHex(string? text, int length) =>
        text is not null && text.Length == length && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
