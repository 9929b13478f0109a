// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Globalization;
using Updater.Cli.Output;
using Updater.Device;
using Updater.Install;
using Updater.Transport;
using Updater.Text;

namespace Updater.Cli;

/// <summary>`updater install BUNDLE`: verify, write the inactive slot, make it the one to try next.</summary>
internal static class InstallCommand
{
    public static Command Create()
    {
        var bundle = new Argument<string>("bundle") { Description = "Bundle file, or an http(s):// URL (read with Range requests, resumed after drops)" };
        var verify = new Option<bool>("--verify") { Description = "Read the slot back after writing and compare the image hash" };
        var allowDowngrade = new Option<bool>("--allow-downgrade") { Description = "Install a version older than the running one (the security version still may not go down)" };
        var initialFloor = new Option<long?>("--initial-floor")
        {
            Description = "Provisioning only: the anti-rollback floor to assume on a device that has none readable (no image-info, no recorded floor); never lowers one (docs/anti-rollback.md)",
        };
        initialFloor.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long?>() is < 0)
            {
                result.AddError("--initial-floor must not be negative");
            }
        });
        var output = new OutputOptions();
        var command = new Command("install", "Install a bundle into the inactive slot; rerun the same command to resume an interrupted install") { bundle, verify, allowDowngrade, initialFloor };
        output.AddTo(command);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var context = DeviceContext.Load(parse.GetValue(GlobalOptions.Config)!, parse.GetValue(GlobalOptions.BootedSlot));
            var installer = new Installer(context);
            // [channel]'s http-* keys tune the transport when present; retries are logged as they happen.
            // Retry messages quote the server (status, reason phrase, headers): escaped like every other line.
            Action<string> retried = message => Console.Error.WriteLine(SafeText.Escape(message));
            await using var source = await BundleSources.OpenAsync(parse.GetValue(bundle)!, TransportFor(context, retried), client: null, ct).ConfigureAwait(false);
            var format = output.Get(parse);
            var result = await installer.InstallAsync(source, new InstallOptions
            {
                AllowDowngrade = parse.GetValue(allowDowngrade),
                VerifyReadBack = parse.GetValue(verify),
                InitialFloor = parse.GetValue(initialFloor),
                HookOutput = Hooks.HookEcho.StandardError,
            }, new ProgressPrinter(), ct).ConfigureAwait(false);
            ReportWriter.Write(format, result, CliJsonContext.Default.InstallResult, JsonSchemas.Install, PrintText);
            return 0;
        }, ct));
        return command;
    }

    /// <summary>How a bundle URL is read: [channel]'s http-* keys when present, the defaults otherwise; `retried` hears of each retry.</summary>
    internal static HttpTransportOptions TransportFor(DeviceContext context, Action<string> retried) =>
        context.Config.Channel?.TransportOptions(TimeProvider.System, retried) ?? new HttpTransportOptions { OnRetry = retried };

    /// <summary>The first line of the printout, and the D-Bus Completed signal's message.</summary>
    internal static string Summary(InstallResult result) => string.Create(CultureInfo.InvariantCulture,
        $"installed {result.Version} into slot {result.TargetBootname} ({string.Join(", ", result.Slots)}): {result.ImageBytes} bytes, {result.WrittenBytes} written{(result.Resumed ? " (resumed)" : "")}{(result.VerifiedReadBack ? ", read back and verified" : "")}, {result.ElapsedSeconds:0.0} s");

    private static void PrintText(InstallResult result)
    {
        // The version comes from the bundle's manifest: signed, but still text for a terminal.
        Console.WriteLine(SafeText.Escape(Summary(result)));
        Console.WriteLine(SafeText.Escape($"slot {result.TargetBootname} will be tried on the next boot; reboot to activate"));
    }
}
