using System.Text.Json.Serialization;
using Updater.Bundles;
using Updater.Install;
using Updater.State;

namespace Updater.Cli;

[JsonSerializable(typeof(InstallResult))]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(BundleInfoReport))]
[JsonSerializable(typeof(SlotActionReport))]
[JsonSerializable(typeof(SlotRecord))]
[JsonSerializable(typeof(Fleet.CheckReport))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class CliJsonContext : JsonSerializerContext;

/// <summary>`updater bundle info --json`.</summary>
public sealed record BundleInfoReport(string File, long Size, long DataOffset, IReadOnlyList<string> SignatureKeyIds, BundleManifest Manifest);

/// <summary>`updater rollback|mark-good|mark-bad --json`.</summary>
public sealed record SlotActionReport(string Action, string Bootname, string? NextBoot);
