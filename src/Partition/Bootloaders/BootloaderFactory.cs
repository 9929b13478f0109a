namespace Partition.Bootloaders;

/// <summary>Creates the bootloader backend named in update.conf from its own keys.</summary>
public static class BootloaderFactory
{
    public static IBootloader Create(string name, IReadOnlyDictionary<string, string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        throw new NotSupportedException($"bootloader backend '{name}' is not available in this build");
    }
}
