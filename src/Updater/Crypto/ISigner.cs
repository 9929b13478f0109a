// SPDX-License-Identifier: Apache-2.0
namespace Updater.Crypto;

/// <summary>
/// Something that makes Ed25519 signatures for one key: a private key file (<see cref="SigningKey"/>) or an
/// external signer such as an HSM or a cloud KMS behind a command (<see cref="CommandSigner"/>). The id is
/// known before anything is signed, so envelopes can be laid out without signing twice.
/// </summary>
internal interface ISigner
{
    string KeyId { get; }

    Task<byte[]> SignAsync(byte[] message, CancellationToken cancellationToken);
}
