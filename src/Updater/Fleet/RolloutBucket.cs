// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Updater.Fleet;

/// <summary>
/// A device's place in a release's rollout: SHA-256 over the machine id and the release version, mapped
/// evenly onto [0, 100). The same device gets the same bucket for a release every time (waves are
/// deterministic, no server keeps lists), and an unrelated one for the next release, so the same devices
/// are not always first.
/// </summary>
internal static class RolloutBucket
{
    private const string Domain = "updater-rollout-v1";

    public static double Of(string machineId, string releaseVersion)
    {
        int length = Encoding.UTF8.GetByteCount(Domain) + Encoding.UTF8.GetByteCount(machineId) + Encoding.UTF8.GetByteCount(releaseVersion) + 2;
        Span<byte> message = length <= 512 ? stackalloc byte[length] : new byte[length];
        int at = Encoding.UTF8.GetBytes(Domain, message);
        message[at++] = 0;
        at += Encoding.UTF8.GetBytes(machineId, message[at..]);
        message[at++] = 0;
        Encoding.UTF8.GetBytes(releaseVersion, message[at..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(message, hash);
        // The top 53 bits: exactly representable in a double, so the mapping is uniform and reproducible.
        ulong top = BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11;
        return top * 100.0 / (1UL << 53);
    }

    /// <summary>For messages: truncated to one decimal, so "9.9" is never shown for a bucket that is not below 10.</summary>
    public static string Display(double bucket) =>
        (Math.Floor(bucket * 10) / 10).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
}
