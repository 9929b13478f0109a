// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Security.Cryptography;
using Partition.Bootloaders;
using Partition.Devices;
using Partition.Slots;
using Updater.Bundles;
using Updater.Config;
using Updater.Device;
using Updater.Events;
using Updater.Hooks;
using Updater.State;
using Updater.Transport;

namespace Updater.Install;

/// <summary>
/// The install pipeline in the order of DESIGN.md. Everything that can reject the bundle (signature,
/// compatible, versions, indexes, slot sizes, which slot is booted) runs before the first write; from the
/// first write on, every step leaves the device booting a slot that worked, and rerunning the same command
/// finishes the job.
/// </summary>
internal sealed class Installer
{
    private readonly DeviceContext _device;
    private readonly StateDirectory _state;
    private readonly TimeProvider _time;

    public Installer(DeviceContext device, TimeProvider? time = null)
    {
        _device = device;
        _state = device.State;
        _time = time ?? device.Time;
    }

    private UpdaterConfig Config => _device.Config;

    /// <summary>
    /// Installs <paramref name="source"/> into the inactive side and makes it the one to try on the next boot.
    /// Announces the start, the success or the failure (with the error, interrupted included) as journal events.
    /// </summary>
    public async Task<InstallResult> InstallAsync(IBundleSource source, InstallOptions options, IProgress<InstallProgress>? progress, CancellationToken cancellationToken)
    {
        var attempt = new InstallAttempt();
        InstallResult result;
        try
        {
            result = await InstallCoreAsync(source, options, progress, attempt, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!attempt.Activated)
        {
            string error = e is OperationCanceledException ? "interrupted; run the same install again to resume" : e.Message;
            _device.Events.Emit(new UpdateEvent(UpdateEventTypes.InstallFailed,
                $"install of {attempt.Version ?? source.Name}{(attempt.Target is null ? "" : $" into slot {attempt.Target}")} failed: {error}")
            {
                Slot = attempt.Target,
                Version = attempt.Version,
                BundleSha256 = attempt.BundleSha256,
                Error = error,
            });
            throw;
        }
        return result;
    }

    /// <summary>What a failing install had verified about itself by the time it failed: only signed facts.</summary>
    private sealed class InstallAttempt
    {
        public string? Version { get; set; }
        public string? BundleSha256 { get; set; }
        public string? Target { get; set; }

        /// <summary>The commit point is past: the slot boots next, so whatever fails after is not a failed install.</summary>
        public bool Activated { get; set; }
    }

    private async Task<InstallResult> InstallCoreAsync(IBundleSource source, InstallOptions options, IProgress<InstallProgress>? progress,
        InstallAttempt attempt, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();

        // 1. Verify everything that can be verified before touching anything.
        // The device first: the running image's build time is a floor of the clock the root's expiry is judged by.
        var device = await _device.ReadAsync(cancellationToken).ConfigureAwait(false);
        var root = _device.Trust.Load();
        _device.Clock.AddFloor(root.Document.Issued, $"trust root version {root.Version}");
        root.RequireCurrent(_device.Clock.GetUtcNow(), source.Name);
        var bundle = await VerifiedBundle.OpenAsync(source, root, cancellationToken).ConfigureAwait(false);
        var manifest = bundle.Manifest;
        // Verified by the signature above: from here on a failure can name the release it was about.
        attempt.Version = manifest.Version;
        attempt.BundleSha256 = bundle.ManifestSha256;
        options.Expect?.Invoke(bundle);
        if (manifest.Compatible != Config.Compatible)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{bundle.Name}: bundle is for '{manifest.Compatible}', this device is '{Config.Compatible}' ({Config.File}: [system] compatible)");
        }
        var booted = device.BootedSide;
        var target = device.OtherSide;
        attempt.Target = target.Bootname;
        // The environment first: it holds a floor, and its own error says more than "floor unreadable".
        device.RequireBoot();
        CheckVersions(bundle, device, options);
        if (device.BootedAwaitsVerdict)
        {
            // The other side is the only one known to work until this trial boot gets its verdict.
            throw new UpdaterException(ExitCode.Refused,
                $"slot {booted.Bootname} is on its trial boot, awaiting the health verdict: writing slot {target.Bootname} now would destroy the only slot known to work; run `updater health` (or `updater mark-good`) first");
        }

        if (target.IsBootable && !target.IsTrial && !(booted.IsBootable && !booted.IsTrial))
        {
            // The running side will not be booted again as it is (marked bad, or a trial out of tries): the other
            // side is what the next boot falls back to, and an install would turn it into an untried trial.
            string why = booted.IsGood ? "its trial has no boots left" : "it is marked bad";
            throw new UpdaterException(ExitCode.Refused,
                $"slot {booted.Bootname} is running but the bootloader will not boot it again ({why}): slot {target.Bootname} is the only slot the device can fall back to, and writing it would leave nothing to boot; reboot into {target.Bootname} first, or `updater mark-good {booted.Bootname}` if this slot works");
        }

        KeptSlotsCheck.Check(bundle, target, Config);
        var plan = new List<ImagePlan>();
        foreach (var image in manifest.Images)
        {
            var slot = target.Slots.FirstOrDefault(s => s.Slot.Class == image.SlotClass)?.Slot
                ?? throw new UpdaterException(ExitCode.BadInput, $"{bundle.Name}: bundle has an image for slot class '{image.SlotClass}', which {Config.File} does not configure");
            var index = await bundle.ReadIndexAsync(image, cancellationToken).ConfigureAwait(false);
            SlotWriteGuard.Check(slot, booted.Bootname, Config.Slots);
            long capacity;
            // Opened as it will be written (exclusively), so a busy device is refused before anything changes.
            using (var probe = OpenTarget(slot))
            {
                capacity = probe.Size;
            }
            if (image.Size > capacity)
            {
                throw new UpdaterException(ExitCode.BadInput, $"{bundle.Name}: image '{image.SlotClass}' is {image.Size} bytes, slot {slot.Name} ({slot.Device}) holds only {capacity}");
            }
            var step = new ImagePlan(image, index, slot);
            await SlotTypeCheck.CheckAsync(bundle, step, Config.File, cancellationToken).ConfigureAwait(false);
            plan.Add(step);
        }

        if (options.PrecheckPayload ?? source.RereadIsCheap)
        {
            var verifier = new BundleVerifier(bundle);
            foreach (var step in plan)
            {
                await verifier.VerifyPayloadAsync(step.Image, cancellationToken).ConfigureAwait(false);
            }
        }

        // 2. From here on the target is not bootable until step 5 makes it so. One install at a time: two
        // writers on one slot would let the first to finish activate a slot the other is still writing.
        using var installLock = _state.LockForInstall();
        // Read again under the lock: the snapshot above was taken before another install could have finished.
        var journal = _state.ReadJournal();
        bool resume = journal is not null && journal.ManifestSha256 == bundle.ManifestSha256 && journal.TargetBootname == target.Bootname;
        // The last word before the first write: the bundle's install-check and the device maker's pre-install.
        long total = plan.Sum(p => p.Image.Size);
        long done = 0, written = 0;
        void Report(string phase, long delta) => progress?.Report(new InstallProgress(phase, Interlocked.Add(ref done, delta), total, written));
        // A hook running within its deadline is progress: the daemon's watchdog must not kill it for being slow.
        var hooks = new InstallHooks(Config.Hooks, bundle, booted.Bootname, target.Bootname, resume, options.HookOutput)
        {
            Alive = () => Report(InstallProgress.HookPhase, 0),
        };
        await hooks.RunBeforeWritingAsync(plan, cancellationToken).ConfigureAwait(false);
        await _device.Bootloader.MarkBadAsync(target.Bootname, cancellationToken).ConfigureAwait(false);
        _state.EnsureExists();
        _state.ForgetRollback();
        foreach (var step in plan)
        {
            _state.ForgetSlot(step.Slot);
        }
        var journalRecord = new InstallJournal
        {
            ManifestSha256 = bundle.ManifestSha256,
            Version = manifest.Version,
            TargetBootname = target.Bootname,
            Source = bundle.Name,
            StartedAt = journal is not null && resume ? journal.StartedAt : _time.GetUtcNow(),
        };
        await _state.WriteJournalAsync(journalRecord, cancellationToken).ConfigureAwait(false);
        _device.Events.Emit(new UpdateEvent(UpdateEventTypes.InstallStarted,
            $"{(resume ? "resuming the install" : "installing")} {manifest.Version} into slot {target.Bootname} from {bundle.Name}")
        {
            Slot = target.Bootname,
            Version = manifest.Version,
            BundleSha256 = bundle.ManifestSha256,
        });

        // 3. Stream every image onto its slot.
        foreach (var (image, index, slot) in plan)
        {
            var writer = new ImageWriter(bundle, image, index);
            bool[] present = new bool[index.Entries.Count];
            if (resume)
            {
                present = await writer.FindPresentChunksAsync(slot.Device, null, cancellationToken).ConfigureAwait(false);
                long presentBytes = Enumerable.Range(0, present.Length).Where(i => present[i]).Sum(i => (long)index.ChunkLength(i));
                Report("checking", presentBytes);
            }
            using var output = OpenTarget(slot);
            // The buffered handle for an unaligned tail shares the exclusive claim of the first one.
            using var tail = output.IsDirect ? SlotDevice.OpenWrite(slot.Device, direct: false, exclusive: false) : null;
            written += await writer.WriteAsync(output, tail, present, n => Report("writing", n), cancellationToken).ConfigureAwait(false);
        }

        if (options.VerifyReadBack)
        {
            foreach (var step in plan)
            {
                await VerifyReadBackAsync(step.Image, step.Slot, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var step in plan.Where(p => p.Slot.Resize))
        {
            await Ext4Resize.GrowAsync(step.Slot, cancellationToken).ConfigureAwait(false);
        }

        // The post-install hooks see every image written and verified (and grown, with resize). A failure keeps the journal (the side
        // stays an unfinished install, not bootable), now naming the hook, so status explains it and rerunning
        // the same install checks the written chunks and runs the hooks again.
        try
        {
            await hooks.RunAfterWritingAsync(plan, cancellationToken).ConfigureAwait(false);
        }
        catch (HookFailedException e)
        {
            try
            {
                await _state.WriteJournalAsync(journalRecord with { FailedHook = e.Failure with { FailedAt = _time.GetUtcNow() } }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception w) when (w is IOException or UnauthorizedAccessException or UpdaterException)
            {
                // A full data partition is a likely cause of the failure itself: the hook's error is the one to
                // report; status then shows an interrupted install instead of the hook.
            }
            throw;
        }

        // 4. Record what each slot now holds.
        foreach (var (image, index, slot) in plan)
        {
            var record = new SlotRecord
            {
                Slot = slot.Name,
                Bootname = slot.Bootname,
                Version = manifest.Version,
                SecurityVersion = manifest.SecurityVersion,
                Compatible = manifest.Compatible,
                ImageSha256 = image.Sha256,
                ImageSize = image.Size,
                ManifestSha256 = bundle.ManifestSha256,
                SignedBy = bundle.SignedBy,
                InstalledAt = _time.GetUtcNow(),
                VerifiedReadBack = options.VerifyReadBack,
            };
            await _state.WriteSlotAsync(slot, record, bundle.ManifestBytes, index.Bytes, cancellationToken).ConfigureAwait(false);
        }
        // A kept slot (checked above: its recorded image is one the signed manifest accepts) is now part of this
        // release: re-recorded under it, so the side reads as one release to the verdict, the rollout and status.
        foreach (var (slot, kept) in target.Slots.Where(s => plan.All(p => p.Slot != s.Slot)))
        {
            var record = kept! with
            {
                Version = manifest.Version,
                SecurityVersion = manifest.SecurityVersion,
                Compatible = manifest.Compatible,
                ManifestSha256 = bundle.ManifestSha256,
                SignedBy = bundle.SignedBy,
                InstalledAt = _time.GetUtcNow(),
            };
            await _state.WriteSlotAsync(slot, record, bundle.ManifestBytes, _state.ReadSlotIndex(slot) ?? [], cancellationToken).ConfigureAwait(false);
        }

        // 5. The commit point: one atomic bootloader environment write makes the new side the one to try. The
        // journal outlives it: if the write fails (a full or failing ESP), the side still reads as an unfinished
        // install that a rerun completes, never as a release that was tried and rolled back.
        await _device.Bootloader.ActivateAsync(target.Bootname, BootActivation.Trial, cancellationToken).ConfigureAwait(false);
        attempt.Activated = true;
        _device.Events.Emit(new UpdateEvent(UpdateEventTypes.InstallSucceeded,
            $"installed {manifest.Version} into slot {target.Bootname}: it boots next, once, on trial")
        {
            Slot = target.Bootname,
            Version = manifest.Version,
            BundleSha256 = bundle.ManifestSha256,
        });
        _state.DeleteJournal();
        // The bundle's creation time is signed by a threshold of bundle keys: from now on "now" is never earlier.
        if (DateTimeOffset.TryParse(manifest.Created, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var created))
        {
            await _device.Clock.ObserveAsync(created, $"bundle {manifest.Version}", cancellationToken).ConfigureAwait(false);
        }

        return new InstallResult
        {
            Version = manifest.Version,
            BootedSlot = booted.Bootname,
            TargetBootname = target.Bootname,
            Slots = plan.Select(p => p.Slot.Name).ToList(),
            ImageBytes = total,
            WrittenBytes = written,
            Resumed = resume,
            VerifiedReadBack = options.VerifyReadBack,
            SignedBy = bundle.SignedBy,
            ElapsedSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
        };
    }

    private SlotDevice OpenTarget(Slot slot)
    {
        try
        {
            return SlotDevice.OpenWrite(slot.Device, Config.DirectIo);
        }
        catch (SlotInUseException e)
        {
            throw new UpdaterException(ExitCode.Refused, e.Message);
        }
    }

    /// <summary>
    /// Anti-rollback (docs/anti-rollback.md): the security version never goes below the effective floor, the
    /// maximum over the bootloader environment, the state directory, every committed slot record and the running
    /// image's image-info, and no readable floor at all is a refusal, not a pass. The release version never goes
    /// below the highest the running side vouches for (every class, and image-info), unless the operator or the
    /// signed bundle allows it.
    /// </summary>
    private static void CheckVersions(VerifiedBundle bundle, DeviceState device, InstallOptions options)
    {
        var manifest = bundle.Manifest;
        var floor = device.SecurityFloor.Require(options.InitialFloor);
        if (manifest.SecurityVersion < floor.Value)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{bundle.Name}: security version {manifest.SecurityVersion} is lower than this device's anti-rollback floor {floor.Value} (from {floor.Source}): refused (anti-rollback; no override)");
        }
        var newVersion = ReleaseVersion.Parse(manifest.Version, bundle.Name);
        if (options.AllowDowngrade || manifest.AllowDowngrade)
        {
            return;
        }
        if (device.RunningReleaseFloor() is { } running && newVersion.CompareTo(running.Version) < 0)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{bundle.Name}: version {manifest.Version} is older than the running {running.Version} (from {running.Source}): refused (pass --allow-downgrade to install it anyway)");
        }
    }

    private static async Task VerifyReadBackAsync(ImageManifest image, Slot slot, CancellationToken cancellationToken)
    {
        using var device = SlotDevice.OpenRead(slot.Device);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long offset = 0; offset < image.Size;)
        {
            int want = (int)Math.Min(buffer.Length, image.Size - offset);
            int n = await RandomAccess.ReadAsync(device.Handle, buffer.AsMemory(0, want), offset, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new UpdaterException(ExitCode.Io, $"{slot.Device}: ends at byte {offset} while reading back a {image.Size}-byte image");
            }
            hash.AppendData(buffer, 0, n);
            offset += n;
        }
        string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (actual != image.Sha256)
        {
            throw new UpdaterException(ExitCode.Io, $"{slot.Device}: read-back SHA-256 {actual} differs from the image's {image.Sha256}: the device did not store what was written");
        }
    }
}
