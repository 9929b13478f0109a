// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.SystemdBoot;

/// <summary>The entries directory as read: each slot's entry name and its parsed content.</summary>
internal sealed record SystemdBootSnapshot(
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlyDictionary<string, (SystemdBootEntryName Name, BlsFile Entry)> Entries,
    BlsFile? LoaderConf) : EnvironmentSnapshot(Variables);
