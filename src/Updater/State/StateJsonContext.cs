// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.State;

/// <summary>Source-generated JSON of the state directory's files (docs/state-directory.md).</summary>
[JsonSerializable(typeof(SlotRecord))]
[JsonSerializable(typeof(InstallJournal))]
[JsonSerializable(typeof(HealthFailureRecord))]
[JsonSerializable(typeof(HealthPassRecord))]
[JsonSerializable(typeof(RollbackRecord))]
[JsonSerializable(typeof(SignedTimeRecord))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class StateJsonContext : JsonSerializerContext;
