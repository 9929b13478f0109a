// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Partition.Bootloaders.UBoot;

/// <summary>
/// One copy of the U-Boot environment as U-Boot's env code and libubootenv (fw_printenv/fw_setenv) read it:
/// a little-endian CRC-32 of the data, for a redundant environment a flag byte (the copy with the newer flag
/// wins), then the data: "name=value" strings each ended by NUL, an empty string after the last, and padding.
/// The CRC (IEEE 802.3, zlib's crc32, which System.IO.Hashing.Crc32 computes) covers all of the data area,
/// padding included. Little-endian is what every x86 and ARM target uses and what fw_printenv on such a host expects.
/// </summary>
public sealed class UBootEnvCopy
{
    private UBootEnvCopy(bool crcValid, byte? flag, IReadOnlyDictionary<string, string>? variables)
    {
        CrcValid = crcValid;
        Flag = flag;
        Variables = variables;
    }

    public bool CrcValid { get; }

    /// <summary>The redundant environment's generation byte; null for a single copy.</summary>
    public byte? Flag { get; }

    /// <summary>The variables, when the CRC is valid.</summary>
    public IReadOnlyDictionary<string, string>? Variables { get; }

    public static int HeaderSize(bool redundant) => redundant ? 5 : 4;

    /// <summary>Decodes one copy read from <paramref name="path"/> at <paramref name="offset"/>; a copy with a bad CRC is not an error here.</summary>
    public static UBootEnvCopy Decode(ReadOnlySpan<byte> copy, bool redundant, string path, long offset)
    {
        int header = HeaderSize(redundant);
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(copy);
        byte? flag = redundant ? copy[4] : null;
        var data = copy[header..];
        if (Crc32.HashToUInt32(data) != stored)
        {
            return new UBootEnvCopy(false, flag, null);
        }

        return new UBootEnvCopy(true, flag, ParseData(data, path, offset + header));
    }

    /// <summary>
    /// Encodes a copy of <paramref name="size"/> bytes. Variables are written sorted by name, as U-Boot's saveenv
    /// and fw_setenv do; the rest of the data area is zero.
    /// </summary>
    public static byte[] Encode(IReadOnlyDictionary<string, string> variables, int size, byte? flag, string path)
    {
        int header = HeaderSize(flag is not null);
        var copy = new byte[size];
        int p = header;
        foreach (var (name, value) in variables.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (name.Length == 0 || name.AsSpan().IndexOfAny("=\0") >= 0)
            {
                throw new ArgumentException($"\"{name}\" cannot be a U-Boot environment variable name", nameof(variables));
            }

            if (value.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"the value of {name} contains a NUL character, which a U-Boot environment cannot hold", nameof(variables));
            }

            byte[] entry = Encoding.UTF8.GetBytes($"{name}={value}");
            if (p + entry.Length + 2 > size)
            {
                int needed = header + variables.Sum(v => Encoding.UTF8.GetByteCount($"{v.Key}={v.Value}") + 1) + 1;
                throw new BootEnvironmentException(path, null,
                    $"the variables need {needed} bytes but the environment holds {size} (uboot-env-size); nothing was written");
            }

            entry.CopyTo(copy, p);
            p += entry.Length + 1;
        }

        // copy[p] is already the terminating empty string; the rest stays zero.
        if (flag is { } f)
        {
            copy[4] = f;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(copy, Crc32.HashToUInt32(copy.AsSpan(header)));
        return copy;
    }

    private static Dictionary<string, string> ParseData(ReadOnlySpan<byte> data, string path, long dataOffset)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        int p = 0;
        while (true)
        {
            if (p >= data.Length)
            {
                throw new BootEnvironmentException(path, dataOffset + p, "the variables run to the end of the environment without the empty entry that ends them");
            }

            int length = data[p..].IndexOf((byte)0);
            if (length < 0)
            {
                throw new BootEnvironmentException(path, dataOffset + p, "entry runs to the end of the environment without a NUL");
            }

            if (length == 0)
            {
                return variables;
            }

            var entry = data.Slice(p, length);
            int equals = entry.IndexOf((byte)'=');
            if (equals <= 0)
            {
                throw new BootEnvironmentException(path, dataOffset + p, equals < 0 ? "entry has no '='" : "entry has an empty variable name");
            }

            string name = EnvironmentBootloader.DecodeUtf8(entry[..equals], path, dataOffset + p);
            string value = EnvironmentBootloader.DecodeUtf8(entry[(equals + 1)..], path, dataOffset + p + equals + 1);
            if (!variables.TryAdd(name, value))
            {
                throw new BootEnvironmentException(path, dataOffset + p, $"variable {name} is set twice");
            }

            p += length + 1;
        }
    }
}
