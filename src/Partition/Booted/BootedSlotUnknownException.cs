// SPDX-License-Identifier: Apache-2.0
namespace Partition.Booted;

/// <summary>
/// The booted slot cannot be told, or the evidence names a bootname that is not configured. Its own type so the
/// host turns exactly this into "refused, tell me which slot is booted", in one place.
/// </summary>
public sealed class BootedSlotUnknownException : InvalidOperationException
{
    public BootedSlotUnknownException(string message)
        : base(message)
    {
    }
}
