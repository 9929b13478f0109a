// SPDX-License-Identifier: Apache-2.0
using Partition.Slots;
using Updater.Hooks;

namespace Updater.Install;

/// <summary>
/// update.conf's resize: after an ext4 image is written and verified, and before the post-install hooks and the
/// commit point, e2fsck checks it and resize2fs grows it to the whole slot, so one image serves slots of any
/// size. A failure leaves the slot written but not activated, as an interrupted install: the rerun rewrites the
/// chunks the resize changed and grows it again.
/// </summary>
internal static class Ext4Resize
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(30);

    public static async Task GrowAsync(Slot slot, CancellationToken cancellationToken)
    {
        // -p repairs only what is safe unattended; exit 1 means it fixed something, which is still a clean filesystem.
        await RunAsync(slot, "/sbin/e2fsck", ["-f", "-p", slot.Device], okCodes: [0, 1], cancellationToken).ConfigureAwait(false);
        await RunAsync(slot, "/sbin/resize2fs", [slot.Device], okCodes: [0], cancellationToken).ConfigureAwait(false);
    }

    private static async Task RunAsync(Slot slot, string program, string[] arguments, int[] okCodes, CancellationToken cancellationToken)
    {
        var outcome = await HookRunner.RunToolAsync(program, arguments, Deadline, cancellationToken).ConfigureAwait(false);
        if (outcome.ExitCode is not { } code || !okCodes.Contains(code))
        {
            string output = outcome.Output.ReplaceLineEndings(" | ");
            throw new UpdaterException(ExitCode.Io, $"{slot.Device}: growing the ext4 filesystem of slot {slot.Name} to the slot failed: {program} {outcome.Failure ?? $"exited with status {outcome.ExitCode}"}: {Text.SafeText.Escape(output.Length > 400 ? "..." + output[^400..] : output)}; the slot is written but not activated, run the install again");
        }
    }
}
