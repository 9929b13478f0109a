// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Serialization;

namespace Updater.Verdict;

/// <summary>
/// Source-generated JSON for `updater health --json`, written like the library's HealthReportJsonContext
/// (snake_case, enums as their documented words) so the nested report reads the same as on its own.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VerdictOutcome))]
internal sealed partial class VerdictJsonContext : JsonSerializerContext;
