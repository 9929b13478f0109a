// SPDX-License-Identifier: Apache-2.0
namespace Partition.Bootloaders.UBoot;

/// <summary>The environment as read, and which copy it came from (0 or 1) with that copy's flag.</summary>
internal sealed record UBootEnvSnapshot(IReadOnlyDictionary<string, string> Variables, int CopyIndex, byte? Flag)
    : EnvironmentSnapshot(Variables);
