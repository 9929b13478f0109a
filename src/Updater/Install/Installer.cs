using System.Diagnostics;
using System.Security.Cryptography;
using Partition.Booted;
using Partition.Bootloaders;
using Partition.Devices;
using Partition.Slots;
using Updater.Bundles;
using Updater.Config;
using Updater.Crypto;
using Updater.State;
using Updater.Transport;

namespace Updater.Install;

/// <summary>
/// The install pipeline in the order of DESIGN.md. Everything that can reject the bundle (signature,
/// compatible, versions, indexes, slot sizes, which slot is booted) runs before the first write; from the
/// first write on, every step leaves the device booting a slot that worked, and rerunning the same command
/// finishes the job.
/// </summary>
public sealed class Installer
{
    private readonly UpdaterConfig _config;
    private readonly IBootloader _bootloader;
    private readonly StateDirectory _state;
    private readonly BootedSlotDetector _detector;
    private readonly TimeProvider _time;

    public Installer(UpdaterConfig config, IBootloader bootloader, BootedSlotDetector detector, TimeProvider? time = null)
    {
        _config = config;
        _bootloader = bootloader;
        _state = new StateDirectory(config.StateDirectory);
        _detector = detector;
        _time = time ?? TimeProvider.System;
    }

    public async Task<InstallResult> InstallAsync(IBundleSource source, InstallOptions options, IProgress<InstallProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();

        // 1. Verify everything that can be verified before touching anything.
        var keyring = Keyring.Load(_config.Keyring);
        var bundle = await VerifiedBundle.OpenAsync(source, keyring, cancellationToken).ConfigureAwait(false);
        var manifest = bundle.Manifest;
        if (manifest.Compatible != _config.Compatible)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{bundle.Name}: bundle is for '{manifest.Compatible}', this device is '{_config.Compatible}' ({_config.File}: [system] compatible)");
        }
        BootedSlot booted = DetectBooted(options);
        string target = _config.Slots.OtherBootname(booted.Bootname);
        CheckVersions(bundle, booted.Bootname, options);
        var bootState = await _bootloader.ReadStateAsync(cancellationToken).ConfigureAwait(false);
        if (bootState.Slot(booted.Bootname) is { Trial: true })
        {
            // The other slot is the only one known to work until this trial boot gets its verdict.
            throw new UpdaterException(ExitCode.Refused,
                $"slot {booted.Bootname} is on its trial boot, awaiting the health verdict: writing slot {target} now would destroy the only slot known to work; run `updater health` (or `updater mark-good`) first");
        }

        var plan = new List<(ImageManifest Image, ChunkIndex Index, Slot Slot)>();
        foreach (var image in manifest.Images)
        {
            var slot = _config.Slots.Find(image.SlotClass, target)
                ?? throw new UpdaterException(ExitCode.BadInput, $"{bundle.Name}: bundle has an image for slot class '{image.SlotClass}', which {_config.File} does not configure");
            var index = await bundle.ReadIndexAsync(image, cancellationToken).ConfigureAwait(false);
            SlotWriteGuard.Check(slot, booted.Bootname, _config.Slots);
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
            plan.Add((image, index, slot));
        }

        if (options.PrecheckPayload ?? source.RereadIsCheap)
        {
            var verifier = new BundleVerifier(bundle);
            foreach (var (image, _, _) in plan)
            {
                await verifier.VerifyPayloadAsync(image, cancellationToken).ConfigureAwait(false);
            }
        }

        // 2. From here on the target is not bootable until step 5 makes it so. One install at a time: two
        // writers on one slot would let the first to finish activate a slot the other is still writing.
        using var installLock = _state.LockForInstall();
        var journal = _state.ReadJournal();
        bool resume = journal is not null && journal.ManifestSha256 == bundle.ManifestSha256 && journal.TargetBootname == target;
        await _bootloader.MarkBadAsync(target, cancellationToken).ConfigureAwait(false);
        _state.EnsureExists();
        _state.ForgetRollback();
        foreach (var (_, _, slot) in plan)
        {
            _state.ForgetSlot(slot);
        }
        await _state.WriteJournalAsync(new InstallJournal
        {
            ManifestSha256 = bundle.ManifestSha256,
            Version = manifest.Version,
            TargetBootname = target,
            Source = bundle.Name,
            StartedAt = journal is not null && resume ? journal.StartedAt : _time.GetUtcNow(),
        }, cancellationToken).ConfigureAwait(false);

        // 3. Stream every image onto its slot.
        long total = plan.Sum(p => p.Image.Size);
        long done = 0, written = 0;
        void Report(string phase, long delta) => progress?.Report(new InstallProgress(phase, Interlocked.Add(ref done, delta), total, written));
        foreach (var (image, index, slot) in plan)
        {
            var writer = new ImageWriter(bundle, image, index);
            bool[] present = new bool[index.Entries.Count];
            if (resume)
            {
                long before = done;
                present = await writer.FindPresentChunksAsync(slot.Device, null, cancellationToken).ConfigureAwait(false);
                long presentBytes = Enumerable.Range(0, present.Length).Where(i => present[i]).Sum(i => (long)index.ChunkLength(i));
                Report("checking", presentBytes);
            }
            using var device = OpenTarget(slot);
            // The buffered handle for an unaligned tail shares the exclusive claim of the first one.
            using var tail = device.IsDirect ? SlotDevice.OpenWrite(slot.Device, direct: false, exclusive: false) : null;
            written += await writer.WriteAsync(device, tail, present, n => Report("writing", n), cancellationToken).ConfigureAwait(false);
        }

        if (options.VerifyReadBack)
        {
            foreach (var (image, _, slot) in plan)
            {
                await VerifyReadBackAsync(image, slot, cancellationToken).ConfigureAwait(false);
            }
        }

        // 4. Record what each slot now holds, then close the journal.
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
            await _state.WriteSlotAsync(slot, record, bundle.ManifestBytes, ChunkIndex.Encode(index.Entries), cancellationToken).ConfigureAwait(false);
        }
        _state.DeleteJournal();

        // 5. The commit point: one atomic bootloader environment write makes the new side the one to try.
        await _bootloader.ActivateAsync(target, BootActivation.Trial, cancellationToken).ConfigureAwait(false);

        return new InstallResult
        {
            Version = manifest.Version,
            BootedSlot = booted.Bootname,
            TargetBootname = target,
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
            return SlotDevice.OpenWrite(slot.Device, _config.DirectIo);
        }
        catch (SlotInUseException e)
        {
            throw new UpdaterException(ExitCode.Refused, e.Message);
        }
    }

    private BootedSlot DetectBooted(InstallOptions options)
    {
        try
        {
            return _detector.Detect(options.BootedSlot ?? _config.BootedSlot);
        }
        catch (InvalidOperationException e)
        {
            throw new UpdaterException(ExitCode.Refused, e.Message);
        }
    }

    /// <summary>Anti-rollback: the security version never goes down; the release version only with an explicit allowance.</summary>
    private void CheckVersions(VerifiedBundle bundle, string bootedBootname, InstallOptions options)
    {
        var running = _config.Slots.All.Where(s => s.Bootname == bootedBootname).Select(_state.ReadSlot).FirstOrDefault(r => r is not null);
        if (running is null)
        {
            return;
        }
        var manifest = bundle.Manifest;
        if (manifest.SecurityVersion < running.SecurityVersion)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{bundle.Name}: security version {manifest.SecurityVersion} is lower than the running system's {running.SecurityVersion}: refused (anti-rollback; no override)");
        }
        var newVersion = ReleaseVersion.Parse(manifest.Version, bundle.Name);
        if (ReleaseVersion.TryParse(running.Version, out var current) && newVersion.CompareTo(current) < 0
            && !options.AllowDowngrade && !manifest.AllowDowngrade)
        {
            throw new UpdaterException(ExitCode.BadInput, $"{bundle.Name}: version {manifest.Version} is older than the running {running.Version}: refused (pass --allow-downgrade to install it anyway)");
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
