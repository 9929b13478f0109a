// SPDX-License-Identifier: Apache-2.0
using System.Text;

namespace Partition.Bootloaders.SystemdBoot;

/// <summary>
/// A string variable of the boot loader interface (vendor 4a67b082-0a4c-41cf-b6c7-440b29bb8c4f) as efivarfs shows
/// it: 4 bytes of attributes, then UTF-16LE, NUL-terminated. What systemd-boot leaves behind: LoaderEntrySelected
/// (the id it booted), LoaderBootCountPath (the entry it renamed), LoaderEntryDefault (a pinned default).
/// </summary>
public static class EfiVariable
{
    public const string LoaderVendor = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";

    /// <summary>Longer than any id or path systemd-boot writes.</summary>
    private const int MaxSize = 4096;

    private static readonly UnicodeEncoding StrictUtf16 = new(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true);

    /// <summary>The variable's value, or null when it is not set (or efivarfs is not there).</summary>
    /// <exception cref="BootEnvironmentException">It is set but is no UTF-16 string.</exception>
    public static string? ReadString(string efivars, string name)
    {
        string path = System.IO.Path.Combine(efivars, $"{name}-{LoaderVendor}");
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return null;
            }
            if (info.Length > MaxSize)
            {
                throw new BootEnvironmentException(path, null, $"is {info.Length} bytes; a boot loader string is at most {MaxSize}");
            }
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BootEnvironmentException(path, "cannot be read", e);
        }
        return Decode(bytes, path);
    }

    public static string Decode(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length > MaxSize || bytes.Length < 4 || (bytes.Length - 4) % 2 != 0)
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

    /// <summary>The bytes efivarfs shows for a volatile boot-service and runtime string variable (tests write these).</summary>
    public static byte[] Encode(string value)
    {
        var bytes = new List<byte> { 0x06, 0, 0, 0 };
        bytes.AddRange(StrictUtf16.GetBytes(value + "\0"));
        return bytes.ToArray();
    }
}
