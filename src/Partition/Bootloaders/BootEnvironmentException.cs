// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders;

/// <summary>
/// A bootloader environment that cannot be read or written as asked: names the file, the byte offset when the
/// problem has one, and what is wrong. Thrown before anything on disk is changed.
/// </summary>
public sealed class BootEnvironmentException : Exception
{
    public BootEnvironmentException(string path, long? offset, string problem)
        : base(offset is { } at ? $"{path}: at byte offset {at} (0x{at:x}): {problem}" : $"{path}: {problem}")
    {
        Path = path;
        Offset = offset;
    }

    public BootEnvironmentException(string path, string problem, Exception inner)
        : base($"{path}: {problem}", inner)
    {
        Path = path;
    }

    public string Path { get; }

    public long? Offset { get; }
}
