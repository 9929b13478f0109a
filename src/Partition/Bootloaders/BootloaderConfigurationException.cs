// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders;

/// <summary>
/// A bad bootloader setting: names the key and the problem apart, so that the host, which knows the file and
/// line the key came from, can say where it is (the library does not know how its keys are stored).
/// </summary>
public sealed class BootloaderConfigurationException(string key, string problem)
    : Exception($"{key}: {problem}")
{
    public string Key { get; } = key;

    /// <summary>What is wrong, without the key.</summary>
    public string Problem { get; } = problem;
}
