// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Text;

namespace Partition.Bootloaders.Efi;

/// <summary>
/// A Boot#### variable's EFI_LOAD_OPTION (UEFI 2.10, 3.1.3): UINT32 attributes, UINT16 FilePathListLength, a
/// NUL-terminated UTF-16 description, the device path list, optional data. Parsed only as far as the backend needs:
/// whether the firmware will consider it (LOAD_OPTION_ACTIVE) and what it is called, for messages.
/// </summary>
public sealed record EfiLoadOption(uint Attributes, string Description, int FilePathLength)
{
    public const uint LoadOptionActive = 0x1;

    /// <summary>Far more than a loader path and a kernel command line need; an NVRAM store is a few hundred KiB.</summary>
    public const int MaxSize = 64 * 1024;

    private static readonly UnicodeEncoding StrictUtf16 = new(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true);

    public bool Active => (Attributes & LoadOptionActive) != 0;

    /// <summary>Parses efivarfs bytes (4 bytes of variable attributes first).</summary>
    /// <exception cref="BootEnvironmentException">Names the byte offset of what does not fit.</exception>
    public static EfiLoadOption Parse(ReadOnlySpan<byte> variable, string path)
    {
        if (variable.Length > MaxSize)
        {
            throw new BootEnvironmentException(path, null, $"is {variable.Length} bytes; a boot entry is at most {MaxSize}");
        }
        if (variable.Length < 4 + 6)
        {
            throw new BootEnvironmentException(path, variable.Length, "ends before the load option's attributes and FilePathListLength");
        }
        var option = variable[4..];
        uint attributes = BinaryPrimitives.ReadUInt32LittleEndian(option);
        int pathLength = BinaryPrimitives.ReadUInt16LittleEndian(option[4..]);
        int end = -1;
        for (int i = 6; i + 1 < option.Length; i += 2)
        {
            if (option[i] == 0 && option[i + 1] == 0)
            {
                end = i;
                break;
            }
        }
        if (end < 0)
        {
            throw new BootEnvironmentException(path, variable.Length, "the description has no terminating NUL");
        }
        string description;
        try
        {
            description = StrictUtf16.GetString(option[6..end]);
        }
        catch (DecoderFallbackException)
        {
            throw new BootEnvironmentException(path, 4 + 6, "the description is not valid UTF-16");
        }
        int pathStart = end + 2;
        if (pathLength < 4 || pathStart + pathLength > option.Length)
        {
            throw new BootEnvironmentException(path, 4 + 4, $"FilePathListLength {pathLength} does not fit the {option.Length - pathStart} bytes after the description");
        }
        return new EfiLoadOption(attributes, description, pathLength);
    }

    /// <summary>
    /// The efivarfs bytes of a load option as `efibootmgr --create --loader PATH` writes one without its disk: the
    /// variable's attributes, the option's, the description, and a file path media node (type 4, subtype 4) and
    /// the end node as its device path. What provisioning and the tests write; the firmware would also want the
    /// hard drive node before the file path, which efibootmgr adds from the disk.
    /// </summary>
    public static byte[] Encode(string description, string loaderPath, bool active = true)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(loaderPath);
        byte[] file = StrictUtf16.GetBytes(loaderPath + "\0");
        var path = new List<byte> { 4, 4 };
        path.AddRange(BitConverter.GetBytes(checked((ushort)(4 + file.Length))));
        path.AddRange(file);
        path.AddRange(new byte[] { 0x7f, 0xff, 4, 0 });
        var bytes = new List<byte>(BitConverter.GetBytes(EfiVariable.NonVolatileAttributes));
        bytes.AddRange(BitConverter.GetBytes(active ? LoadOptionActive : 0u));
        bytes.AddRange(BitConverter.GetBytes(checked((ushort)path.Count)));
        bytes.AddRange(StrictUtf16.GetBytes(description + "\0"));
        bytes.AddRange(path);
        return bytes.ToArray();
    }

    /// <summary>The description as a message may show it: control characters replaced, long ones cut.</summary>
    public string Shown => string.Concat(Description.Take(64).Select(c => char.IsControl(c) ? '?' : c)) + (Description.Length > 64 ? "..." : "");
}
