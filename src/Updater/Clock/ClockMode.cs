// SPDX-License-Identifier: Apache-2.0
namespace Updater.Clock;

/// <summary>update.conf [system] clock: where <see cref="TrustedClock"/>'s "now" comes from.</summary>
internal enum ClockMode
{
    /// <summary>The device clock, never earlier than the newest signed time accepted (the default).</summary>
    Wall,

    /// <summary>The newest signed time accepted only: the device clock is not trusted at all.</summary>
    Signed,
}
