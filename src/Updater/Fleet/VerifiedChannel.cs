// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text.Json;
using Updater.Crypto;
using Updater.Trust;

namespace Updater.Fleet;

/// <summary>
/// A channel file whose signatures (a threshold of the trust root's channel keys) verified and whose document passed
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
        var signatures = SignatureEnvelope.Parse(SignatureEnvelope.Create(SignatureDomain, documentBytes, keys), name);
        return new SignedFile(documentBytes, signatures).ToBytes();
    }

    /// <summary>The same with any signers (key files, HSM commands).</summary>
    public static async Task<byte[]> SignAsync(byte[] documentBytes, IReadOnlyList<ISigner> signers, string name, CancellationToken cancellationToken)
    {
        ParseDocument(documentBytes, name);
        var signatures = await SignatureEnvelope.SignAsync(SignatureDomain, documentBytes, signers, cancellationToken).ConfigureAwait(false);
        return new SignedFile(documentBytes, signatures).ToBytes();
    }

    /// <summary>Verifies the signatures (a threshold of the root's channel keys) before the document is even parsed, then checks the document.</summary>
    public static VerifiedChannel Open(byte[] fileBytes, TrustRoot root, string source)
    {
        var file = SignedFile.Read(fileBytes, MaxFileBytes, source, "channel file");
        string keyIds = string.Join(",", root.Verify(TrustRole.Channel, SignatureDomain, file.Payload, file.Signatures, source));
        var document = ParseDocument(file.Payload, source);
        return new VerifiedChannel(document, fileBytes, Convert.ToHexStringLower(SHA256.HashData(file.Payload)), keyIds, source);
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
