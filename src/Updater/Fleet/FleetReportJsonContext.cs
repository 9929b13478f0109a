// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Fleet;

/// <summary>Source-generated JSON of the fleet reports: compact, nulls left out, enums as their words.</summary>
[JsonSerializable(typeof(FleetReport))]
[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
internal sealed partial class FleetReportJsonContext : JsonSerializerContext;
