// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using Updater.Bundles;
using Updater.Config;
using Updater.Install;
using Updater.State;

namespace Updater.Hooks;

/// <summary>
/// The hooks of one install (docs/hooks.md), in their order. Before the first write: the bundle's
/// install-check, then [hooks] pre-install, then each image's [hooks.CLASS] pre-install; any failure stops the
/// install with nothing written. After the last write (and the read-back): per image, [hooks.CLASS]
/// post-install and the bundle's post-install for it, then [hooks] post-install; a failure leaves the slot
/// written but not activated, and says so in the error and in the install journal.
/// </summary>
internal sealed class InstallHooks
{
    private readonly HooksConfig _config;
    private readonly VerifiedBundle _bundle;
    private readonly string _booted;
    private readonly string _target;
    private readonly bool _resuming;
    private readonly Action<string>? _echo;

    /// <summary>Called while a hook runs within its deadline (the install's progress, which feeds the daemon's watchdog).</summary>
    public Action? Alive { get; init; }

    public InstallHooks(HooksConfig config, VerifiedBundle bundle, string bootedBootname, string targetBootname, bool resuming, Action<string>? echo)
    {
        _config = config;
        _bundle = bundle;
        _booted = bootedBootname;
        _target = targetBootname;
        _resuming = resuming;
        _echo = echo;
    }

    /// <exception cref="HookFailedException">A hook refused the install; nothing has been written.</exception>
    public async Task RunBeforeWritingAsync(IReadOnlyList<ImagePlan> plan, CancellationToken cancellationToken)
    {
        if (_bundle.Manifest.Hooks?.InstallCheck is { } check)
        {
            await RunScriptAsync("install-check", "bundle", check, Common("install-check", "bundle", plan), cancellationToken).ConfigureAwait(false);
        }
        if (_config.Install.PreInstall is { } pre)
        {
            await RunProgramAsync(pre, "pre-install", "[hooks]", _config.Install, Common("pre-install", "[hooks]", plan), cancellationToken).ConfigureAwait(false);
        }
        foreach (var step in plan)
        {
            if (_config.ByClass.GetValueOrDefault(step.Slot.Class) is { PreInstall: { } classPre } hooks)
            {
                string source = $"[hooks.{step.Slot.Class}]";
                await RunProgramAsync(classPre, "pre-install", source, hooks, ForImage("pre-install", source, plan, step, null), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <exception cref="HookFailedException">A hook failed; every image is written, none is activated.</exception>
    public async Task RunAfterWritingAsync(IReadOnlyList<ImagePlan> plan, CancellationToken cancellationToken)
    {
        foreach (var step in plan)
        {
            var classHooks = _config.ByClass.GetValueOrDefault(step.Slot.Class);
            string? classPost = classHooks?.PostInstall;
            var bundlePost = _bundle.Manifest.Hooks?.PostInstall?.GetValueOrDefault(step.Image.SlotClass);
            if (classPost is null && bundlePost is null)
            {
                continue;
            }
            bool mount = (classPost is not null && classHooks!.MountImage) || bundlePost?.Mount == true;
            ImageMount? mounted = null;
            if (mount)
            {
                (mounted, string? problem) = await ImageMount.MountAsync(step.Slot.Device, cancellationToken).ConfigureAwait(false);
                if (mounted is null)
                {
                    string source = classPost is not null && classHooks!.MountImage ? $"[hooks.{step.Slot.Class}]" : $"bundle:{step.Image.SlotClass}";
                    throw new HookFailedException(Failure("post-install", source, classPost ?? "(bundle script)",
                        new HookOutcome(null, $"was not run: the new image of slot {step.Slot.Name} ({step.Slot.Device}) could not be mounted read-only for it: {problem}", "")));
                }
            }
            await using var unmount = mounted;
            if (classPost is not null)
            {
                string source = $"[hooks.{step.Slot.Class}]";
                await RunProgramAsync(classPost, "post-install", source, classHooks!,
                    ForImage("post-install", source, plan, step, classHooks!.MountImage ? mounted?.Path : null), cancellationToken).ConfigureAwait(false);
            }
            if (bundlePost is not null)
            {
                string source = $"bundle:{step.Image.SlotClass}";
                await RunScriptAsync("post-install", source, bundlePost, ForImage("post-install", source, plan, step, bundlePost.Mount ? mounted?.Path : null), cancellationToken).ConfigureAwait(false);
            }
        }
        if (_config.Install.PostInstall is { } post)
        {
            await RunProgramAsync(post, "post-install", "[hooks]", _config.Install, Common("post-install", "[hooks]", plan), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunProgramAsync(string program, string hook, string source, HookPair hooks, Dictionary<string, string> variables, CancellationToken cancellationToken)
    {
        if (!File.Exists(program))
        {
            throw new HookFailedException(Failure(hook, source, program, new HookOutcome(null, $"does not exist ({hooks.Where})", "")));
        }
        string resolved = Trusted(program, $"{hook} hook of {source}", hook, source);
        await RunAsync(new HookCommand { Hook = hook, Source = source, Program = resolved, Named = program, Variables = variables, Timeout = hooks.Timeout }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// What runs as root must be writable only by root: checked now, as it is about to run, not at load. A symlink
    /// is resolved first and both it and its target are checked; the target is what runs, so the link cannot be
    /// turned elsewhere between the check and the start.
    /// </summary>
    private static string Trusted(string program, string what, string hook, string source)
    {
        try
        {
            TrustedPath.Require(program, what);
            string resolved = File.ResolveLinkTarget(program, returnFinalTarget: true)?.FullName ?? program;
            if (resolved != program)
            {
                TrustedPath.Require(resolved, what);
            }
            return resolved;
        }
        catch (Exception e) when (e is ConfigException or IOException or UnauthorizedAccessException)
        {
            throw new HookFailedException(Failure(hook, source, program, new HookOutcome(null, $"was not run: {e.Message}", "")));
        }
    }

    // A bundle's script goes to a private file (mode 0700 directory, removed after) and is handed to the
    // interpreter its #! line names, which ManifestRules has checked is there and which must be a trusted file
    // of this device, as a configured hook must.
    private async Task RunScriptAsync(string hook, string source, BundleHookScript script, Dictionary<string, string> variables, CancellationToken cancellationToken)
    {
        var (interpreter, argument) = script.Interpreter() ?? throw new InvalidOperationException("manifest rules admit only scripts with a #! line");
        if (!File.Exists(interpreter))
        {
            throw new HookFailedException(Failure(hook, source, interpreter, new HookOutcome(null, $"was not run: its interpreter {interpreter} does not exist on this device", "")));
        }
        string resolved = Trusted(interpreter, $"interpreter of the bundle's {hook} hook", hook, source);
        DirectoryInfo directory;
        string file;
        try
        {
            directory = Directory.CreateTempSubdirectory("updater-hook-");
            file = Path.Combine(directory.FullName, hook);
            await File.WriteAllTextAsync(file, script.Script, cancellationToken).ConfigureAwait(false);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HookFailedException(Failure(hook, source, interpreter, new HookOutcome(null, $"was not run: its script could not be written to {Path.GetTempPath()}: {e.Message}", "")));
        }
        try
        {
            await RunAsync(new HookCommand
            {
                Hook = hook,
                Source = source,
                Program = resolved,
                Named = interpreter,
                Arguments = argument is null ? [file] : [argument, file],
                Variables = variables,
                Timeout = _config.BundleHookTimeout,
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                directory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A process the script left behind still writes there: the temporary directory's cleanup takes it.
            }
        }
    }

    private async Task RunAsync(HookCommand command, CancellationToken cancellationToken)
    {
        _echo?.Invoke($"{command.Hook}: starting {command.Shown} ({command.Source})");
        var outcome = await HookRunner.RunAsync(command, _echo is null ? null : line => _echo($"{command.Hook}: {line}"), Alive, cancellationToken).ConfigureAwait(false);
        if (!outcome.Passed)
        {
            throw new HookFailedException(Failure(command.Hook, command.Source, command.Shown, outcome));
        }
    }

    private static FailedHook Failure(string hook, string source, string program, HookOutcome outcome) => new()
    {
        Hook = hook,
        Source = source,
        Program = program,
        ExitCode = outcome.ExitCode,
        Reason = outcome.Failure!,
        Output = outcome.Output,
        FailedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>The variables every hook gets (docs/hooks.md lists them).</summary>
    private Dictionary<string, string> Common(string hook, string source, IReadOnlyList<ImagePlan> plan)
    {
        var manifest = _bundle.Manifest;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["UPDATER_HOOK"] = hook,
            ["UPDATER_HOOK_SOURCE"] = source,
            ["UPDATER_BUNDLE"] = _bundle.Name,
            ["UPDATER_BUNDLE_VERSION"] = manifest.Version,
            ["UPDATER_BUNDLE_COMPATIBLE"] = manifest.Compatible,
            ["UPDATER_BUNDLE_SECURITY_VERSION"] = manifest.SecurityVersion.ToString(CultureInfo.InvariantCulture),
            ["UPDATER_BUNDLE_SHA256"] = _bundle.ManifestSha256,
            ["UPDATER_BOOTED_SLOT"] = _booted,
            ["UPDATER_TARGET_SLOT"] = _target,
            ["UPDATER_SLOT_CLASSES"] = string.Join(' ', plan.Select(p => p.Slot.Class)),
            ["UPDATER_RESUMING"] = _resuming ? "yes" : "no",
        };
    }

    private Dictionary<string, string> ForImage(string hook, string source, IReadOnlyList<ImagePlan> plan, ImagePlan step, string? mountPoint)
    {
        var variables = Common(hook, source, plan);
        variables["UPDATER_SLOT_CLASS"] = step.Slot.Class;
        variables["UPDATER_SLOT_NAME"] = step.Slot.Name;
        variables["UPDATER_SLOT_DEVICE"] = step.Slot.Device;
        variables["UPDATER_SLOT_BOOTNAME"] = step.Slot.Bootname;
        variables["UPDATER_IMAGE_SIZE"] = step.Image.Size.ToString(CultureInfo.InvariantCulture);
        variables["UPDATER_IMAGE_SHA256"] = step.Image.Sha256;
        if (mountPoint is not null)
        {
            variables["UPDATER_MOUNT_POINT"] = mountPoint;
        }
        return variables;
    }
}

/// <summary>A hook refused or failed: exit 9, with the hook, its status and its last output in the message.</summary>
internal sealed class HookFailedException(FailedHook failure)
    : UpdaterException(ExitCode.HookFailed, Describe(failure))
{
    public FailedHook Failure { get; } = failure;

    /// <summary>One definition of how a failed hook reads, for the error and for `updater status`.</summary>
    public static string Describe(FailedHook failure)
    {
        string output = failure.Output.Length == 0 ? "" : $"; its output ends: {Text.SafeText.Escape(Last(failure.Output))}";
        return $"the {failure.Hook} hook ({Text.SafeText.Escape(failure.Source)}, {Text.SafeText.Escape(failure.Program)}) {Text.SafeText.Escape(failure.Reason)}{output}";
    }

    // The error is one line on a terminal: the last few lines of output say why; status and the journal keep 4 KiB.
    private static string Last(string output)
    {
        var lines = output.Split('\n');
        string last = string.Join(" | ", lines.Skip(Math.Max(0, lines.Length - 5)));
        return last.Length > 600 ? "..." + last[^600..] : last;
    }
}
