// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace HealthCheck.Running;

/// <summary>The outcome of a run: whether the booted system is fit to be committed.</summary>
public enum HealthVerdict
{
    /// <summary>Every required check passed (wanted checks may have failed; they only warn).</summary>
    [JsonStringEnumMemberName("pass")]
    Pass,

    /// <summary>At least one required check failed.</summary>
    [JsonStringEnumMemberName("fail")]
    Fail,
}
