namespace Partition.Bootloaders;

/// <summary>A bad bootloader setting in update.conf's [system] section; names the key.</summary>
public sealed class BootloaderConfigurationException(string key, string problem)
    : Exception($"[system] {key}: {problem}")
{
    public string Key { get; } = key;
}
