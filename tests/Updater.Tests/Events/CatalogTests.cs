// SPDX-License-Identifier: Apache-2.0
using System.Text.RegularExpressions;
using Updater.Events;

namespace Updater.Tests.Events;

/// <summary>dist/updater.catalog explains every MESSAGE_ID the code sends, and only those, with fields the events carry.</summary>
public sealed partial class CatalogTests
{
    private static string CatalogText => File.ReadAllText(RepositoryPaths.Dist("updater.catalog"));

    [Fact]
    public void Every_message_id_has_one_catalog_entry_and_the_catalog_no_other()
    {
        var ids = EntryHeader().Matches(CatalogText).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(ids.Distinct().Count(), ids.Count);
        Assert.Equal(UpdateEventTypes.All.Select(t => t.MessageId).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.Equal(UpdateEventTypes.All.Count, UpdateEventTypes.All.Select(t => t.Name).Distinct().Count());
    }

    [Fact]
    public void Docs_journal_md_lists_every_event_with_its_id()
    {
        string docs = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "journal.md"));
        Assert.All(UpdateEventTypes.All, type => Assert.Contains($"| `{type.Name}` | `{type.MessageId}` |", docs, StringComparison.Ordinal));
    }

    [Fact]
    public void The_catalog_substitutes_only_fields_an_event_writes()
    {
        var sample = new UpdateEvent(UpdateEventTypes.Rollback, "m") { Slot = "A", Version = "1", BundleSha256 = "0", FromSlot = "B", ToSlot = "A", Reason = "r", Error = "e" };
        var written = sample.Fields().Select(f => f.Key).ToHashSet(StringComparer.Ordinal);

        var used = Substitution().Matches(CatalogText).Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.NotEmpty(used);
        Assert.All(used, field => Assert.Contains(field, written));
    }

    [GeneratedRegex(@"^-- ([0-9a-f]{32})$", RegexOptions.Multiline)]
    private static partial Regex EntryHeader();

    [GeneratedRegex(@"@([A-Z0-9_]+)@")]
    private static partial Regex Substitution();
}
