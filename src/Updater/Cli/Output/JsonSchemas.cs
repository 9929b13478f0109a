// SPDX-License-Identifier: Apache-2.0
namespace Updater.Cli.Output;

/// <summary>
/// The <c>schema</c> value of every JSON document the CLI prints: the document's name and major version
/// (docs/json.md). Within one version fields are only added; a rename, a removal or a change of meaning or unit
/// makes a new version.
/// </summary>
internal static class JsonSchemas
{
    public const string Install = "updater.install/1";
    public const string Status = "updater.status/1";
    public const string Check = "updater.check/1";
    public const string CheckInstall = "updater.check-install/1";
    public const string Verdict = "updater.verdict/1";
    public const string CommitSkipped = "updater.commit-skipped/1";
    public const string SlotChange = "updater.slot-change/1";
    public const string BundleInfo = "updater.bundle-info/1";

    public static readonly IReadOnlyList<string> All = [Install, Status, Check, CheckInstall, Verdict, CommitSkipped, SlotChange, BundleInfo];
}
