// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;
using Updater.Bundles;
using Updater.Device;
using Updater.Install;
using Updater.State;

namespace Updater.Cli;

[JsonSerializable(typeof(InstallResult))]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(BundleInfoReport))]
[JsonSerializable(typeof(SlotChange))]
[JsonSerializable(typeof(SlotRecord))]
[JsonSerializable(typeof(CheckReport))]
[JsonSerializable(typeof(CheckInstallReport))]
[JsonSerializable(typeof(CommitSkipped))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class CliJsonContext : JsonSerializerContext;
