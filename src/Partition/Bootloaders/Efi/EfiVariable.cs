// SPDX-License-Identifier: Apache-2.0
using System.Text;

namespace Partition.Bootloaders.Efi;

/// <summary>
/// A UTF-16 string variable as efivarfs shows it: 4 bytes of attributes, then UTF-16LE, NUL-terminated. What
/// systemd-boot leaves behind under the boot loader interface's vendor: LoaderEntrySelected (the id it booted),
/// LoaderBootCountPath (the entry it renamed), LoaderEntryDefault (a pinned default); and the efi backend's own
/// variables under <see cref="UpdaterVendor"/>.
/// </summary>
public static class EfiVariable
{
    /// <summary>systemd's boot loader interface.</summary>
    public const string LoaderVendor = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";

    /// <summary>The UEFI global variables: BootOrder, BootNext, BootCurrent, Boot####.</summary>
    public const string GlobalVendor = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

    /// <summary>This project's own variables (the efi backend's trial marker and security floor).</summary>
    public const string UpdaterVendor = "16fe2ce9-c076-481d-a939-3251e2f90409";

    /// <summary>Longer than any id or path systemd-boot writes.</summary>
    public const int MaxStringSize = 4096;

    /// <summary>Non-volatile, boot-service and runtime access: what BootOrder, BootNext and Boot#### carry.</summary>
    public const uint NonVolatileAttributes = 0x7;

    /// <summary>Volatile boot-service and runtime access: what systemd-boot's Loader* variables carry.</summary>
    public const uint VolatileAttributes = 0x6;

    private static readonly UnicodeEncoding StrictUtf16 = new(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true);

    /// <summary>The path efivarfs gives a variable: NAME-VENDOR.</summary>
    public static string PathOf(string efivars, string name, string vendor) => System.IO.Path.Combine(efivars, $"{name}-{vendor}");

    /// <summary>The variable's value, or null when it is not set (or efivarfs is not there).</summary>
    /// <exception cref="BootEnvironmentException">It is set but is no UTF-16 string.</exception>
    public static string? ReadString(string efivars, string name, string vendor = LoaderVendor)
    {
        string path = PathOf(efivars, name, vendor);
        return EfiVariableStore.Read(path, MaxStringSize) is { } bytes ? Decode(bytes, path) : null;
    }

    public static string Decode(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length > MaxStringSize || bytes.Length < 4 || (bytes.Length - 4) % 2 != 0)
        {
            throw new BootEnvironmentException(path, null, $"is {bytes.Length} bytes: not 4 bytes of attributes and a UTF-16 string");
        }
        var text = bytes[4..];
        if (text.Length >= 2 && text[^1] == 0 && text[^2] == 0)
        {
            text = text[..^2];
        }
        try
        {
            string value = StrictUtf16.GetString(text);
            if (value.Any(char.IsControl))
            {
                throw new BootEnvironmentException(path, null, "holds a control character");
            }
            return value;
        }
        catch (DecoderFallbackException)
        {
            throw new BootEnvironmentException(path, 4, "is not valid UTF-16");
        }
    }

    /// <summary>The bytes efivarfs shows for a string variable with <paramref name="attributes"/>.</summary>
    public static byte[] Encode(string value, uint attributes = VolatileAttributes)
    {
        ArgumentNullException.ThrowIfNull(value);
        var bytes = new List<byte>(BitConverter.GetBytes(attributes));
        bytes.AddRange(StrictUtf16.GetBytes(value + "\0"));
        return bytes.ToArray();
    }
}
