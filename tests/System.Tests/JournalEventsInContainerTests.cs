// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;

namespace System.Tests;

/// <summary>
/// The published binary run as a systemd service in the container, its output in the journal: the verdict's
/// events arrive through the native journal protocol with their MESSAGE_IDs and fields, `journalctl -x` explains
/// them from dist/updater.catalog, and a run whose output is not the journal sends none.
/// </summary>
[Collection(SystemdCollection.Name)]
public sealed class JournalEventsInContainerTests(SystemdContainerFixture fixture)
{
    // src/Updater/Events/UpdateEventType.cs: the ids a fleet's journal queries are written against.
    private const string HealthFailedId = "948e0d399b92493fa75d04714b81a271";
    private const string MarkedBadId = "3bbd04ce5b824936858a442e709bbcda";
    private const string RollbackId = "852d6fc6bb0c42cd96f7867a942b63f8";

    [UpdaterBinaryFact]
    public async Task A_failed_trial_and_the_rollback_it_causes_are_structured_journal_entries_the_catalog_explains()
    {
        var container = fixture.Container;
        var device = await ContainerDevice.CreateAsync(container, "journal", TestUnits.Failed);

        int seen = (await UpdaterEntriesAsync()).Count;
        await RunAsServiceAsync("updater-journal-trial", "--config", device.Inside("update.conf"), "health", "--no-reboot");
        var failed = (await UpdaterEntriesAsync()).Skip(seen).ToList();
        var health = Assert.Single(failed, e => Id(e) == HealthFailedId);
        Assert.Equal(("health-failed", "B", "3", "journal"), (Field(health, "UPDATER_EVENT"), Field(health, "UPDATER_SLOT"), Field(health, "PRIORITY"), Field(health, "_TRANSPORT")));
        Assert.Contains($"unit {TestUnits.Failed} failed", Field(health, "UPDATER_ERROR"), StringComparison.Ordinal);
        var bad = Assert.Single(failed, e => Id(e) == MarkedBadId);
        Assert.Equal(("B", "verdict"), (Field(bad, "UPDATER_SLOT"), Field(bad, "UPDATER_REASON")));

        // GRUB boots A: its verdict records the rollback first.
        seen = (await UpdaterEntriesAsync()).Count;
        await RunAsServiceAsync("updater-journal-back", "--config", device.Inside("update.conf"), "--booted-slot", "A", "health", "--no-reboot");
        var back = (await UpdaterEntriesAsync()).Skip(seen).ToList();
        var rollback = Assert.Single(back, e => Id(e) == RollbackId);
        Assert.Equal(("B", "A", "health-failed"), (Field(rollback, "UPDATER_FROM_SLOT"), Field(rollback, "UPDATER_TO_SLOT"), Field(rollback, "UPDATER_REASON")));

        // The catalog, installed as the package installs it, turns the entry into an explanation.
        string catalogDir = $"{device.HostRoot}/usr/lib/systemd/catalog";
        File.Copy(RepositoryPaths.Dist("updater.catalog"), Path.Combine(catalogDir, "updater.catalog"), overwrite: true);
        await container.RunAsync("journalctl", "--update-catalog");
        string explained = await container.RunAsync("journalctl", "-x", "--no-pager", "-o", "short", $"MESSAGE_ID={RollbackId}");
        Assert.Contains("Subject: Rolled back from slot B to slot A", explained, StringComparison.Ordinal);
        Assert.Contains("Defined-By: updater", explained, StringComparison.Ordinal);

        // Output to a file, not the journal: $JOURNAL_STREAM is not set, and no event is sent.
        seen = (await UpdaterEntriesAsync()).Count;
        await container.RunAsync("systemd-run", "--wait", "--collect", "--quiet", "--unit=updater-journal-file", "-p", "StandardOutput=file:/run/updater-journal-file.log",
            "-p", "StandardError=file:/run/updater-journal-file.log", ContainerDevice.Updater, "--config", device.Inside("update.conf"), "--booted-slot", "A", "mark-good");
        Assert.DoesNotContain((await UpdaterEntriesAsync()).Skip(seen).ToList(), e => e.TryGetProperty("UPDATER_EVENT", out _));
    }

    private async Task RunAsServiceAsync(string unit, params string[] updaterArguments)
    {
        // Exit 7 (a failed verdict) is what the first run must do; systemd-run --wait passes it on.
        var run = await fixture.Container.TryRunAsync(["systemd-run", "--wait", "--collect", "--quiet", $"--unit={unit}",
            "-p", "StandardOutput=journal", "-p", "StandardError=journal", ContainerDevice.Updater, .. updaterArguments]);
        Assert.True(run.ExitCode is 0 or 7, $"systemd-run {unit}: exit {run.ExitCode}: {run.Output}");
    }

    /// <summary>
    /// Every entry of the updater in the container's journal, oldest first, as `journalctl -o json` gives them once
    /// journald has written what it received; a run's entries are those past the count taken before it. Selected
    /// by SYSLOG_IDENTIFIER, not by unit: journald learns a datagram's unit from the sender's cgroup, and a process
    /// that has already exited (as `updater health` has) may have none by then.
    /// </summary>
    private async Task<List<JsonElement>> UpdaterEntriesAsync()
    {
        await fixture.Container.RunAsync("journalctl", "--sync");
        var result = await fixture.Container.TryRunAsync("journalctl", "--no-pager", "-o", "json", "SYSLOG_IDENTIFIER=updater");
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }

    private static string? Id(JsonElement entry) => entry.TryGetProperty("MESSAGE_ID", out var id) ? id.GetString() : null;

    private static string Field(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) ? value.GetString() ?? "" : throw new Xunit.Sdk.XunitException($"entry has no {name}: {entry}");
}
