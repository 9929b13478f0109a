// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace HealthCheck.Definitions;

/// <summary>What a check asks about. The JSON names are the words of the drop-in format's <c>type =</c> key.</summary>
public enum HealthCheckKind
{
    /// <summary>A systemd unit that must be active, or for a oneshot service, have exited successfully.</summary>
    [JsonStringEnumMemberName("systemd-unit")]
    SystemdUnit,

    /// <summary>A command line, run by <c>/bin/sh -c</c>, that must exit 0.</summary>
    [JsonStringEnumMemberName("command")]
    Command,

    /// <summary>An HTTP(S) URL that must answer with a status in the expected range (2xx by default).</summary>
    [JsonStringEnumMemberName("http")]
    Http,

    /// <summary>A path that must be a mount point.</summary>
    [JsonStringEnumMemberName("mount")]
    Mount,
}
