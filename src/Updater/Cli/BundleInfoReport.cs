// SPDX-License-Identifier: Apache-2.0
using Updater.Bundles;

namespace Updater.Cli;

/// <summary>`updater bundle info --json`.</summary>
internal sealed record BundleInfoReport(string File, long Size, long DataOffset, IReadOnlyList<string> SignatureKeyIds, BundleManifest Manifest);
