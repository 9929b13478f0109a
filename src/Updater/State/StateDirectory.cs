// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Partition.Slots;
using Partition.Storage;

namespace Updater.State;

/// <summary>
/// The state directory (update.conf [system] state-dir): what each slot holds, whether an install is in
/// progress, why the last rollback happened, the last accepted channel. The only type that knows its paths;
/// docs/state-directory.md documents each file, who writes it and who reads it. Every file is replaced
/// atomically (<see cref="AtomicFile"/>), so after a power cut each file is either the old or the new version.
/// </summary>
internal sealed class StateDirectory
{
    public StateDirectory(string path)
    {
        Path = path;
    }

    public string Path { get; }

    private string SlotsDir => System.IO.Path.Combine(Path, "slots");

    /// <summary>reports/: fleet reports a reboot must not wait for, sent on a later run (docs/state-directory.md).</summary>
    private string ReportsDir => System.IO.Path.Combine(Path, "reports");

    /// <summary>At most this many reports wait; the oldest go first when more arrive.</summary>
    public const int MaxQueuedReports = 16;

    /// <summary>channel/: one directory per channel name, owned by Fleet.ChannelStore (<see cref="ChannelDirectoryOf"/>).</summary>
    public string ChannelDirectory => System.IO.Path.Combine(Path, "channel");

    /// <summary>trust/: the root versions accepted after the shipped one (N.root.json), owned by Trust.TrustStore.</summary>
    public string TrustDirectory => System.IO.Path.Combine(Path, "trust");

    /// <summary>
    /// channel/&lt;name&gt;/: the last channel file accepted under that name and its floors (version, hash, expiry, ETag).
    /// The name must be one <see cref="Fleet.ChannelRules.IsName"/> accepts, so it is one path component.
    /// </summary>
    public string ChannelDirectoryOf(string name) => Fleet.ChannelRules.IsName(name)
        ? System.IO.Path.Combine(ChannelDirectory, name)
        : throw new UpdaterException(ExitCode.BadInput, $"'{Text.SafeText.Escape(name)}' is not a channel name: it must be {Fleet.ChannelRules.NameRule}");

    /// <summary>clock.json: the newest signed time accepted (<see cref="SignedTimeRecord"/>), owned by Clock.TrustedClock.</summary>
    private string SignedTimePath => System.IO.Path.Combine(Path, "clock.json");

    private string JournalPath => System.IO.Path.Combine(Path, "install.json");

    private string HealthFailurePath => System.IO.Path.Combine(Path, "health-failure.json");

    private string HealthPassPath => System.IO.Path.Combine(Path, "health-pass.json");

    private string RollbackPath => System.IO.Path.Combine(Path, "rollback.json");

    /// <summary>security-floor: the committed anti-rollback floor, one decimal line (docs/anti-rollback.md).</summary>
    public string SecurityFloorPath => System.IO.Path.Combine(Path, "security-floor");

    public void EnsureExists()
    {
        try
        {
            Directory.CreateDirectory(SlotsDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UpdaterException(ExitCode.Io, $"{Path}: cannot create the state directory: {e.Message}");
        }
    }

    /// <summary>
    /// Holds the install lock (the one flock mechanism, <see cref="FileLock"/>, on install.lock) until disposed;
    /// another process holding it is a clear refusal, not a wait. The kernel drops it when the process dies.
    /// </summary>
    public IDisposable LockForInstall()
    {
        EnsureExists();
        string path = System.IO.Path.Combine(Path, "install.lock");
        FileLock? held;
        try
        {
            held = FileLock.TryAcquire(path);
        }
        catch (IOException e)
        {
            throw new UpdaterException(ExitCode.Io, $"{path}: cannot take the install lock: {e.Message}");
        }
        return held ?? throw new UpdaterException(ExitCode.Refused, $"another install is running ({path} is locked); wait for it, or rerun this command after it ends");
    }

    public SlotRecord? ReadSlot(Slot slot) => ReadJson(SlotFile(slot, ".json"), StateJsonContext.Default.SlotRecord);

    /// <summary>The slot's chunk index as recorded; bounded by the largest index a manifest may pin.</summary>
    public byte[]? ReadSlotIndex(Slot slot)
    {
        string path = SlotFile(slot, ".index");
        return File.Exists(path) ? SmallFile.Read(path, MaxIndexBytes, "recorded chunk index") : null;
    }

    /// <summary>2^18 chunks of 80 bytes (Bundles.ManifestRules), with room to spare.</summary>
    private const int MaxIndexBytes = 32 << 20;

    public async Task WriteSlotAsync(Slot slot, SlotRecord record, byte[] manifest, byte[] index, CancellationToken cancellationToken)
    {
        EnsureExists();
        await Guard(async () =>
        {
            // The record goes last: its presence says the manifest and index beside it belong to it.
            await AtomicFile.WriteAsync(SlotFile(slot, ".manifest"), manifest, cancellationToken).ConfigureAwait(false);
            await AtomicFile.WriteAsync(SlotFile(slot, ".index"), index, cancellationToken).ConfigureAwait(false);
            await AtomicFile.WriteAsync(SlotFile(slot, ".json"), JsonSerializer.SerializeToUtf8Bytes(record, StateJsonContext.Default.SlotRecord), cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>Forgets a slot's content before it is overwritten; durable before the first byte is written.</summary>
    public void ForgetSlot(Slot slot)
    {
        foreach (string suffix in new[] { ".json", ".manifest", ".index" })
        {
            File.Delete(SlotFile(slot, suffix));
        }
        if (Directory.Exists(SlotsDir))
        {
            AtomicFile.SyncDirectory(SlotsDir);
        }
    }

    public InstallJournal? ReadJournal() => ReadJson(JournalPath, StateJsonContext.Default.InstallJournal);

    public Task WriteJournalAsync(InstallJournal journal, CancellationToken cancellationToken)
    {
        EnsureExists();
        return Guard(() => AtomicFile.WriteAsync(JournalPath, JsonSerializer.SerializeToUtf8Bytes(journal, StateJsonContext.Default.InstallJournal), cancellationToken));
    }

    public void DeleteJournal()
    {
        if (File.Exists(JournalPath))
        {
            File.Delete(JournalPath);
            AtomicFile.SyncDirectory(Path);
        }
    }

    public HealthFailureRecord? ReadHealthFailure() => ReadJson(HealthFailurePath, StateJsonContext.Default.HealthFailureRecord);

    public Task WriteHealthFailureAsync(HealthFailureRecord record, CancellationToken cancellationToken)
    {
        EnsureExists();
        return Guard(() => AtomicFile.WriteAsync(HealthFailurePath, JsonSerializer.SerializeToUtf8Bytes(record, StateJsonContext.Default.HealthFailureRecord), cancellationToken));
    }

    public HealthPassRecord? ReadHealthPass() => ReadJson(HealthPassPath, StateJsonContext.Default.HealthPassRecord);

    public Task WriteHealthPassAsync(HealthPassRecord record, CancellationToken cancellationToken)
    {
        EnsureExists();
        return Guard(() => AtomicFile.WriteAsync(HealthPassPath, JsonSerializer.SerializeToUtf8Bytes(record, StateJsonContext.Default.HealthPassRecord), cancellationToken));
    }

    /// <summary>Forgets a deferred pass once it is committed or judged otherwise: it is about one boot only.</summary>
    public void DeleteHealthPass()
    {
        if (File.Exists(HealthPassPath))
        {
            File.Delete(HealthPassPath);
            AtomicFile.SyncDirectory(Path);
        }
    }

    public SignedTimeRecord? ReadSignedTime() => ReadJson(SignedTimePath, StateJsonContext.Default.SignedTimeRecord);

    public Task WriteSignedTimeAsync(SignedTimeRecord record, CancellationToken cancellationToken)
    {
        EnsureExists();
        return Guard(() => AtomicFile.WriteAsync(SignedTimePath, JsonSerializer.SerializeToUtf8Bytes(record, StateJsonContext.Default.SignedTimeRecord), cancellationToken));
    }

    public RollbackRecord? ReadRollback() => ReadJson(RollbackPath, StateJsonContext.Default.RollbackRecord);

    public Task WriteRollbackAsync(RollbackRecord record, CancellationToken cancellationToken)
    {
        EnsureExists();
        return Guard(() => AtomicFile.WriteAsync(RollbackPath, JsonSerializer.SerializeToUtf8Bytes(record, StateJsonContext.Default.RollbackRecord), cancellationToken));
    }

    /// <summary>
    /// The committed security floor this directory keeps, null when the file is absent (a new or wiped directory).
    /// Anything but one decimal number (and a newline) is a refusal that quotes it: it never reads as 0.
    /// </summary>
    public long? ReadSecurityFloor()
    {
        string path = SecurityFloorPath;
        if (!File.Exists(path))
        {
            return null;
        }
        string text;
        try
        {
            text = System.Text.Encoding.UTF8.GetString(SmallFile.Read(path, 64, "security floor file"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UpdaterException(ExitCode.Refused, $"{path}: cannot read the anti-rollback floor: {e.Message}");
        }
        string value = text.EndsWith('\n') ? text[..^1] : text;
        if (!Partition.Bootloaders.SecurityFloorVariable.TryParse(value, out long floor))
        {
            throw new UpdaterException(ExitCode.Refused,
                $"{path}: the anti-rollback floor is '{Text.SafeText.Escape(value.Length > 40 ? value[..40] + "..." : value)}', expected one decimal security version: refusing to guess it (docs/anti-rollback.md)");
        }
        return floor;
    }

    /// <summary>
    /// Raises security-floor to <paramref name="floor"/> after a commit: written only when it goes up, atomically.
    /// A malformed file is left as it is: overwriting it could lower what it meant, and it keeps refusing installs
    /// until the operator repairs it (docs/anti-rollback.md).
    /// </summary>
    public async Task RaiseSecurityFloorAsync(long floor, CancellationToken cancellationToken)
    {
        long? held;
        try
        {
            held = ReadSecurityFloor();
        }
        catch (UpdaterException)
        {
            return;
        }
        if (held is null || held < floor)
        {
            await WriteSecurityFloorAsync(floor, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Replaces security-floor atomically; the caller passes a value that is never below the one it read.</summary>
    private Task WriteSecurityFloorAsync(long floor, CancellationToken cancellationToken)
    {
        EnsureExists();
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(Partition.Bootloaders.SecurityFloorVariable.Format(floor) + "\n");
        return Guard(() => AtomicFile.WriteAsync(SecurityFloorPath, bytes, cancellationToken));
    }

    /// <summary>
    /// Forgets the last failed verdict and the recorded rollback: a new install starts a new story, and a stale
    /// failure must not explain a later, unrelated rollback. Durable before the install writes anything.
    /// </summary>
    public void ForgetRollback()
    {
        bool removed = false;
        foreach (string path in new[] { HealthFailurePath, RollbackPath })
        {
            if (File.Exists(path))
            {
                File.Delete(path);
                removed = true;
            }
        }
        if (removed)
        {
            AtomicFile.SyncDirectory(Path);
        }
    }

    /// <summary>
    /// Keeps a report (its JSON, opaque here) for a later run to send: durable before the caller reboots. Bounded:
    /// beyond <see cref="MaxQueuedReports"/> the oldest are dropped.
    /// </summary>
    public async Task QueueReportAsync(byte[] json, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await Guard(async () =>
        {
            Directory.CreateDirectory(ReportsDir);
            // Sortable by time, unique within a run: names come from here, never from outside.
            string name = $"{now.UtcTicks:D20}-{Environment.ProcessId}-{Interlocked.Increment(ref s_reportSequence):D4}.json";
            await AtomicFile.WriteAsync(System.IO.Path.Combine(ReportsDir, name), json, cancellationToken).ConfigureAwait(false);
            foreach (string old in QueuedReportFiles().SkipLast(MaxQueuedReports))
            {
                File.Delete(old);
            }
            AtomicFile.SyncDirectory(ReportsDir);
        }).ConfigureAwait(false);
    }

    /// <summary>The queued reports, oldest first, each at most 64 KiB (a larger file is not ours and is skipped).</summary>
    public IReadOnlyList<(string File, byte[] Json)> ReadQueuedReports() =>
        QueuedReportFiles().Where(f => new FileInfo(f).Length <= 64 << 10).Select(f => (f, File.ReadAllBytes(f))).ToList();

    /// <summary>Forgets reports that went out.</summary>
    public void DeleteQueuedReports(IEnumerable<string> files)
    {
        bool removed = false;
        foreach (string file in files)
        {
            File.Delete(file);
            removed = true;
        }
        if (removed)
        {
            AtomicFile.SyncDirectory(ReportsDir);
        }
    }

    private IEnumerable<string> QueuedReportFiles() =>
        Directory.Exists(ReportsDir) ? Directory.GetFiles(ReportsDir, "*.json").Order(StringComparer.Ordinal) : [];

    private static int s_reportSequence;

    private string SlotFile(Slot slot, string suffix) => System.IO.Path.Combine(SlotsDir, slot.Name + suffix);

    /// <summary>A state file is a few hundred bytes; anything past this is not one of ours.</summary>
    private const int MaxStateFileBytes = 64 * 1024;

    /// <summary>
    /// The state files' JSON options, read strictly: a duplicate key is an error (not last-wins), and nesting
    /// is bounded. Built over the source-generated context, so it stays NativeAOT-clean.
    /// </summary>
    private static readonly JsonSerializerOptions StrictRead = new(StateJsonContext.Default.Options)
    {
        AllowDuplicateProperties = false,
        MaxDepth = 16,
    };

    private static T? ReadJson<T>(string path, JsonTypeInfo<T> type)
        where T : class
    {
        if (!File.Exists(path))
        {
            return null;
        }
        byte[] bytes = SmallFile.Read(path, MaxStateFileBytes, "state file");
        try
        {
            return JsonSerializer.Deserialize(bytes, (JsonTypeInfo<T>)StrictRead.GetTypeInfo(type.Type));
        }
        catch (JsonException e)
        {
            throw new UpdaterException(ExitCode.Io, $"{path}: state file is corrupt: {JsonProblem.Describe(e)}");
        }
    }

    private static async Task Guard(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UpdaterException(ExitCode.Io, $"cannot write the state directory: {e.Message}");
        }
    }
}
