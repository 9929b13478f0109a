// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Updater.Crypto;

/// <summary>
/// A signed document on the wire (roots and channels): the document's exact bytes in base64 and the
/// signatures over them. The payload is kept as bytes, never re-serialized, so what was signed is what is read.
/// </summary>
internal sealed record SignedFileDocument(
    [property: JsonPropertyName("payload")] string Payload,
    [property: JsonPropertyName("signatures")] IReadOnlyList<SignatureEntry> Signatures);

[JsonSerializable(typeof(SignedFileDocument))]
[JsonSourceGenerationOptions(WriteIndented = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false, MaxDepth = 8)]
internal sealed partial class SignedFileJsonContext : JsonSerializerContext;

internal sealed record SignedFile(byte[] Payload, IReadOnlyList<SignatureEntry> Signatures)
{
    /// <summary>Reads the wire form; signatures are checked for shape only (an unsigned draft has none when <paramref name="allowUnsigned"/>).</summary>
    public static SignedFile Read(byte[] bytes, int maxBytes, string what, string kind, bool allowUnsigned = false)
    {
        if (bytes.Length > maxBytes)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{what}: {bytes.Length} bytes is too large for a {kind} (at most {maxBytes})");
        }
        SignedFileDocument? file;
        try
        {
            file = JsonSerializer.Deserialize(bytes, SignedFileJsonContext.Default.SignedFileDocument);
        }
        catch (JsonException e)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{what}: not a {kind}: {JsonProblem.Describe(e)}");
        }
        if (file?.Payload is null || file.Signatures is null)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{what}: not a {kind}: needs \"payload\" and \"signatures\"");
        }
        byte[] payload;
        try
        {
            payload = Convert.FromBase64String(file.Payload);
        }
        catch (FormatException)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{what}: {kind} field 'payload' is not base64");
        }
        var signatures = allowUnsigned && file.Signatures.Count == 0 ? file.Signatures : SignatureEnvelope.CheckEntries(file.Signatures, what);
        return new SignedFile(payload, signatures);
    }

    public byte[] ToBytes() =>
        JsonSerializer.SerializeToUtf8Bytes(new SignedFileDocument(Convert.ToBase64String(Payload), Signatures), SignedFileJsonContext.Default.SignedFileDocument);
}
