// SPDX-License-Identifier: Apache-2.0
namespace Updater.Fleet;

/// <summary>The outcome of one look at the channel: the channel as accepted and what the rollout says.</summary>
internal sealed record ChannelCheck(VerifiedChannel Channel, RolloutDecision Decision, bool NotModified, string BundleLocation);
