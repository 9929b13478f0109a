// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace HealthCheck.Running;

/// <summary>
/// Source-generated JSON for <see cref="HealthReport"/> (no reflection, so it works under NativeAOT and
/// trimming): snake_case names like the bundle manifest, enums as the words of the drop-in format, indented
/// for people reading <c>updater health --json</c>.
/// <code>JsonSerializer.Serialize(report, HealthReportJsonContext.Default.HealthReport)</code>
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(HealthReport))]
public sealed partial class HealthReportJsonContext : JsonSerializerContext;
