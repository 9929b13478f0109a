// SPDX-License-Identifier: Apache-2.0
using Updater.Clock;

namespace Updater.Fleet;

/// <summary>
/// The outcome of one look at the channel: the channel as accepted, what the rollout says, and the clock reading
/// the rollout was decided by (it says when "now" was not the device clock).
/// </summary>
internal sealed record ChannelCheck(VerifiedChannel Channel, RolloutDecision Decision, bool NotModified, string BundleLocation, ClockReading Clock);
