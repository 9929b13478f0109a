// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Globalization;

namespace Partition.Bootloaders.Efi;

/// <summary>
/// BootOrder (an array of UINT16 boot option numbers), BootNext and BootCurrent (one UINT16), as efivarfs shows
/// them, and the "0001,0002" form efibootmgr prints.
/// </summary>
public static class EfiBootNumbers
{
    /// <summary>No firmware holds more boot options than this in its order; the store would be full long before.</summary>
    public const int MaxOrderEntries = 1024;

    /// <exception cref="BootEnvironmentException">Not attributes and whole UINT16s, or longer than any real order.</exception>
    public static IReadOnlyList<ushort> ParseOrder(ReadOnlySpan<byte> variable, string path)
    {
        if (variable.Length < 4)
        {
            throw new BootEnvironmentException(path, variable.Length, "ends inside the 4 attribute bytes");
        }
        var data = variable[4..];
        if (data.Length % 2 != 0)
        {
            throw new BootEnvironmentException(path, variable.Length - 1, $"holds {data.Length} bytes, not whole UINT16 boot numbers");
        }
        if (data.Length / 2 > MaxOrderEntries)
        {
            throw new BootEnvironmentException(path, null, $"lists {data.Length / 2} boot options; at most {MaxOrderEntries} are expected");
        }
        var order = new ushort[data.Length / 2];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]);
        }
        return order;
    }

    /// <exception cref="BootEnvironmentException">Not attributes and exactly one UINT16.</exception>
    public static ushort ParseOne(ReadOnlySpan<byte> variable, string path)
    {
        if (variable.Length != 6)
        {
            throw new BootEnvironmentException(path, null, $"is {variable.Length} bytes, not 4 attribute bytes and one UINT16");
        }
        return BinaryPrimitives.ReadUInt16LittleEndian(variable[4..]);
    }

    public static byte[] EncodeOrder(IEnumerable<ushort> order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var list = order.ToList();
        var bytes = new byte[2 * list.Count];
        for (int i = 0; i < list.Count; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), list[i]);
        }
        return bytes;
    }

    public static byte[] EncodeOne(ushort number) => EncodeOrder([number]);

    /// <summary>"0001": how efibootmgr and the firmware's Boot#### names spell a number.</summary>
    public static string Format(ushort number) => number.ToString("X4", CultureInfo.InvariantCulture);

    public static string FormatOrder(IEnumerable<ushort> order) => string.Join(',', order.Select(Format));

    /// <summary>"0001", "1", "Boot0001" (any case): the number, or null when it is none.</summary>
    public static ushort? TryParse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string digits = text.StartsWith("Boot", StringComparison.OrdinalIgnoreCase) ? text[4..] : text;
        return digits.Length is >= 1 and <= 4 && ushort.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort n) ? n : null;
    }
}
