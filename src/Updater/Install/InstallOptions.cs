// SPDX-License-Identifier: Apache-2.0
using Updater.Bundles;

namespace Updater.Install;

internal sealed record InstallOptions
{
    /// <summary>Install an older version than the booted one (the operator's explicit, documented override).</summary>
    public bool AllowDowngrade { get; init; }

    /// <summary>
    /// --initial-floor: an anti-rollback floor the operator vouches for, for a device being provisioned that has
    /// none readable. One more source of the effective floor (the maximum is taken), so it never lowers one.
    /// </summary>
    public long? InitialFloor { get; init; }

    /// <summary>Read the whole slot back after writing and compare the image's SHA-256.</summary>
    public bool VerifyReadBack { get; init; }

    /// <summary>
    /// Check each image's whole payload against the manifest before the first write, so a corrupt bundle
    /// leaves the slot's old content intact. Null: do it for local files, where a second read is cheap; a
    /// network install streams and relies on the per-chunk check alone (the target is marked bad first).
    /// </summary>
    public bool? PrecheckPayload { get; init; }

    /// <summary>
    /// What the caller requires of the verified bundle beyond the device's own checks (a channel install: the
    /// version and manifest the signed channel names); throws to refuse it before anything is written.
    /// </summary>
    public Action<VerifiedBundle>? Expect { get; init; }

    /// <summary>Gets what the install hooks print, line by line, unescaped; null keeps them quiet (their failure still says).</summary>
    public Action<string>? HookOutput { get; init; }
}
