// SPDX-License-Identifier: Apache-2.0
using Updater.Cli;
using Updater.Cli.Output;
using Updater.Daemon;
using Updater.Device;
using Updater.Install;
using Updater.Transport;

namespace Updater.DBus;

/// <summary>
/// What each D-Bus method does to the device, in the command line's own terms: update.conf is read afresh on
/// every call (as every command reads it), and the same domain calls and JSON documents answer. The D-Bus API
/// is the command line's twin, not a second implementation.
/// </summary>
internal sealed class DeviceCalls
{
    private readonly string _configPath;
    private readonly string? _bootedOverride;
    private readonly JournalLog _log;

    public DeviceCalls(string configPath, string? bootedOverride, JournalLog log)
    {
        _configPath = configPath;
        _bootedOverride = bootedOverride;
        _log = log;
    }

    /// <summary>`updater install SOURCE`; the summary line of the result.</summary>
    public async Task<string> InstallAsync(string location, InstallRequest request, IProgress<InstallProgress> progress, CancellationToken cancellationToken)
    {
        var context = Load();
        await using var source = await BundleSources.OpenAsync(location, InstallCommand.TransportFor(context, _log.Warning), client: null, cancellationToken).ConfigureAwait(false);
        var result = await new Installer(context).InstallAsync(source, new InstallOptions
        {
            AllowDowngrade = request.AllowDowngrade,
            VerifyReadBack = request.Verify,
            InitialFloor = request.InitialFloor,
            HookOutput = Hooks.HookEcho.StandardError,
        }, progress, cancellationToken).ConfigureAwait(false);
        return $"{InstallCommand.Summary(result)}; slot {result.TargetBootname} will be tried on the next boot";
    }

    /// <summary>`updater check --json`.</summary>
    public async Task<string> CheckAsync(CancellationToken cancellationToken)
    {
        var report = await CheckCommand.ReadAsync(Load(), _log.Warning, cancellationToken).ConfigureAwait(false);
        return ReportWriter.Json(report, CliJsonContext.Default.CheckReport, JsonSchemas.Check);
    }

    /// <summary>`updater status --json`.</summary>
    public async Task<string> StatusAsync(CancellationToken cancellationToken)
    {
        var report = await StatusCommand.ReadAsync(Load(), cancellationToken).ConfigureAwait(false);
        return ReportWriter.Json(report, CliJsonContext.Default.StatusReport, JsonSchemas.Status);
    }

    /// <summary>`updater mark-good SLOT` / `updater mark-bad SLOT` (never --force).</summary>
    public async Task<(string Bootname, string Message)> MarkAsync(bool good, string slot, CancellationToken cancellationToken)
    {
        var context = Load();
        var device = await context.ReadAsync(cancellationToken).ConfigureAwait(false);
        var side = device.Resolve(slot);
        var marker = new SlotMarker(context);
        var change = good
            ? await marker.MarkGoodAsync(device, side, cancellationToken).ConfigureAwait(false)
            : await marker.MarkBadByHandAsync(device, side, force: false, cancellationToken).ConfigureAwait(false);
        return (change.Bootname, $"slot {change.Bootname} marked {(good ? "good" : "bad")}");
    }

    /// <summary>`updater rollback` (never --reboot).</summary>
    public async Task<(string Bootname, string Message)> RollbackAsync(CancellationToken cancellationToken)
    {
        var context = Load();
        var device = await context.ReadAsync(cancellationToken).ConfigureAwait(false);
        var change = await new SlotMarker(context).RollbackAsync(device, cancellationToken).ConfigureAwait(false);
        return (change.Bootname, $"slot {change.Bootname} will boot next; reboot to roll back");
    }

    private DeviceContext Load() => DeviceContext.Load(_configPath, _bootedOverride);
}

/// <summary>Install's options dictionary, read and checked: only the keys the interface documents.</summary>
internal sealed record InstallRequest(bool Verify, bool AllowDowngrade, long? InitialFloor);
