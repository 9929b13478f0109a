// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text.Json;
using Updater.Crypto;

namespace Updater.Fleet;

/// <summary>
/// A channel file whose signature verified against the keyring and whose document passed
/// <see cref="ChannelRules"/>. Freshness (version, expiry) is the <see cref="ChannelStore"/>'s to judge.
/// </summary>
internal sealed class VerifiedChannel
{
    public const string SignatureDomain = "updater-channel-v1";
    public const int MaxFileBytes = 64 * 1024;

    private VerifiedChannel(ChannelDocument document, byte[] fileBytes, string payloadSha256, string signedBy, string source)
    {
        Document = document;
        FileBytes = fileBytes;
        PayloadSha256 = payloadSha256;
        SignedBy = signedBy;
        Source = source;
    }

    public ChannelDocument Document { get; }

    /// <summary>The file exactly as fetched, kept in the state directory to re-verify after a restart.</summary>
    public byte[] FileBytes { get; }

    public string PayloadSha256 { get; }

    public string SignedBy { get; }

    /// <summary>Where it came from, without credentials.</summary>
    public string Source { get; }

    /// <summary>Signs a document's exact bytes into a channel file (vendor side); the document is checked first.</summary>
    public static byte[] Sign(byte[] documentBytes, IEnumerable<SigningKey> keys, string name)
    {
        ParseDocument(documentBytes, name);
        byte[] envelope = SignatureEnvelope.Create(SignatureDomain, documentBytes, keys);
        var signatures = JsonSerializer.Deserialize(envelope, SignatureJsonContext.Default.SignatureEnvelopeDocument)!.Signatures;
        return JsonSerializer.SerializeToUtf8Bytes(new SignedChannelFile(Convert.ToBase64String(documentBytes), signatures), ChannelJsonContext.Default.SignedChannelFile);
    }

    /// <summary>Verifies the signature before the document is even parsed, then checks the document.</summary>
    public static VerifiedChannel Open(byte[] fileBytes, Keyring keyring, string source)
    {
        if (fileBytes.Length > MaxFileBytes)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{source}: {fileBytes.Length} bytes is too large for a channel file (at most {MaxFileBytes})");
        }
        SignedChannelFile? file;
        try
        {
            file = JsonSerializer.Deserialize(fileBytes, ChannelJsonContext.Default.SignedChannelFile);
        }
        catch (JsonException e)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{source}: not a channel file: {JsonProblem.Describe(e)}");
        }
        if (file?.Payload is null || file.Signatures is null)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{source}: not a channel file: needs \"payload\" and \"signatures\"");
        }
        byte[] payload;
        try
        {
            payload = Convert.FromBase64String(file.Payload);
        }
        catch (FormatException)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{source}: channel field 'payload' is not base64");
        }
        byte[] envelope = JsonSerializer.SerializeToUtf8Bytes(new SignatureEnvelopeDocument(file.Signatures), SignatureJsonContext.Default.SignatureEnvelopeDocument);
        string keyId = SignatureEnvelope.Verify(SignatureDomain, payload, envelope, keyring, source);
        var document = ParseDocument(payload, source);
        return new VerifiedChannel(document, fileBytes, Convert.ToHexStringLower(SHA256.HashData(payload)), keyId, source);
    }

    public static ChannelDocument ParseDocument(byte[] bytes, string name)
    {
        ChannelDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(bytes, ChannelJsonContext.Default.ChannelDocument);
        }
        catch (JsonException e)
        {
            // A document of another format fails the shape of this one (format 1 has no "issued"): say which format
            // it is and what to do, not which field is missing.
            if (OtherFormat(bytes) is { } format)
            {
                throw new UpdaterException(ExitCode.BadInput, $"{name}: channel field 'format' {ChannelRules.FormatProblem(format)}");
            }
            throw new UpdaterException(ExitCode.BadInput, $"{name}: channel document is malformed: {JsonProblem.Describe(e)}");
        }
        if (document is null)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{name}: channel document is empty");
        }
        ChannelRules.Check(document, name);
        return document;
    }

    /// <summary>The top-level "format" number of a document that did not parse, when it is not this updater's.</summary>
    private static long? OtherFormat(byte[] bytes)
    {
        try
        {
            using var json = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("format", out var f)
                && f.TryGetInt64(out long format) && format != ChannelRules.Format ? format : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
