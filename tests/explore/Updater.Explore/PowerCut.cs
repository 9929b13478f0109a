// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace Updater.Explore;

/// <summary>
/// The power switch: tests/explore/powercut/libpowercut.so, preloaded into this process (LD_PRELOAD), sits between
/// every write, fsync, rename, unlink and create under POWERCUT_ROOT and libc. Armed with a budget k, the k-th
/// such call and everything after it fail with EIO and reach no file, as if power went at that instant; with
/// lose-unsynced, the reboot also undoes every write not yet fsync'ed (the worst a disk cache can do).
/// </summary>
internal static class PowerCut
{
    private const string Library = "libpowercut.so";

    [DllImport(Library)] private static extern void powercut_arm(long budget, int loseUnsynced);
    [DllImport(Library)] private static extern long powercut_count();
    [DllImport(Library)] private static extern int powercut_tripped();
    [DllImport(Library)] private static extern void powercut_reboot();
    [DllImport(Library)] private static extern void powercut_disarm();
    [DllImport(Library)] private static extern unsafe void powercut_watch(delegate* unmanaged<long, void> watch);
    [DllImport(Library)] private static extern long powercut_undo_count();
    [DllImport(Library)] private static extern unsafe int powercut_undo_entry(long i, byte** path, long* offset, byte** bytes, long* length, long* oldSize, int* sameFile);

    private static Action<long>? _watch;

    /// <summary>
    /// LD_PRELOAD catches calls that go through the global symbol lookup (.NET's libSystem.Native, libMonoPosixHelper).
    /// A P/Invoke into "libc" (Mono.Posix's rename, fsync and unlink; Partition's open, ioctl and flock) binds to
    /// libc's own symbol and would slip past: those assemblies' "libc" is resolved to the preloaded library, whose
    /// wrappers come first and whose dependency is libc for everything else.
    /// </summary>
    public static void Install()
    {
        string path = Environment.GetEnvironmentVariable("POWERCUT_LIB") ?? throw new InvalidOperationException("POWERCUT_LIB is not set: run tests/explore/run.sh");
        string preload = Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "";
        if (!preload.Contains(path, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"LD_PRELOAD does not hold {path}: run tests/explore/run.sh");
        }
        nint handle = NativeLibrary.Load(path);
        DllImportResolver resolver = (name, _, _) => name is "libc" or "c" or "libc.so.6" or Library ? handle : 0;
        foreach (var assembly in new[] { typeof(Mono.Unix.Native.Syscall).Assembly, typeof(Partition.Slots.Slot).Assembly, typeof(PowerCut).Assembly })
        {
            NativeLibrary.SetDllImportResolver(assembly, resolver);
        }
    }

    /// <summary>Counts from zero; the <paramref name="budget"/>-th mutating call cuts the power (0: never).</summary>
    public static void Arm(long budget, bool loseUnsynced) => powercut_arm(budget, loseUnsynced ? 1 : 0);

    public static long Count => powercut_count();

    public static bool Tripped => powercut_tripped() != 0;

    /// <summary>Power back: unsynced writes undone when armed to lose them; disarmed.</summary>
    public static void Reboot() => powercut_reboot();

    /// <summary>The operation ended before the cut: everything it wrote stays; disarmed.</summary>
    public static void Disarm() => powercut_disarm();

    /// <summary>
    /// Runs <paramref name="operation"/> uncut, calling <paramref name="watch"/> with k before its k-th mutating call
    /// under ROOT: the files then are what a cut at k leaves, and <see cref="UndoLog"/> what a cut at k that loses
    /// unsynced data undoes. One run yields every cut of the operation. The watch may only read.
    /// </summary>
    public static unsafe T Watching<T>(Action<long> watch, Func<T> operation)
    {
        _watch = watch;
        powercut_arm(0, 1);
        powercut_watch(&OnCall);
        try
        {
            return operation();
        }
        finally
        {
            powercut_watch(null);
            powercut_disarm();
            _watch = null;
        }
    }

    [UnmanagedCallersOnly]
    private static void OnCall(long call) => _watch?.Invoke(call);

    /// <summary>One write's undo: the bytes it overwrote at Offset, and the file's size before it (null: a block device).</summary>
    internal sealed record UndoEntry(string Path, long Offset, byte[] Bytes, long? OldSize);

    /// <summary>The undo log inside a watch, newest first (the order a reboot applies it), without the entries a reboot skips.</summary>
    public static unsafe List<UndoEntry> UndoLog()
    {
        var entries = new List<UndoEntry>();
        long count = powercut_undo_count();
        for (long i = 0; i < count; i++)
        {
            byte* path, bytes;
            long offset, length, oldSize;
            int same;
            if (powercut_undo_entry(i, &path, &offset, &bytes, &length, &oldSize, &same) == 0)
            {
                break;
            }
            if (same != 0)
            {
                entries.Add(new UndoEntry(Marshal.PtrToStringUTF8((nint)path)!, offset, new ReadOnlySpan<byte>(bytes, checked((int)length)).ToArray(), oldSize < 0 ? null : oldSize));
            }
        }
        return entries;
    }

    /// <summary>
    /// Refuses to explore when a route to the disk escapes the layer: a write through .NET, a rename and an fsync
    /// through Mono.Posix must all be cut. Without this a broken preload would make every cut a no-op and every
    /// run green.
    /// </summary>
    public static void SelfCheck(string root)
    {
        string probe = Path.Combine(root, ".powercut-probe");
        File.WriteAllBytes(probe, [1]);
        Arm(1, loseUnsynced: false);
        bool dotnetCut = false;
        try
        {
            File.WriteAllBytes(probe, [2]);
        }
        catch (IOException)
        {
            dotnetCut = true;
        }
        Reboot();
        Arm(1, loseUnsynced: false);
        bool renameCut = Mono.Unix.Native.Syscall.rename(probe, probe + ".renamed") != 0;
        Reboot();
        Arm(1, loseUnsynced: false);
        int fd = Mono.Unix.Native.Syscall.open(probe, Mono.Unix.Native.OpenFlags.O_RDONLY);
        bool fsyncCut = Mono.Unix.Native.Syscall.fsync(fd) != 0;
        Mono.Unix.Native.Syscall.close(fd);
        Reboot();
        bool intact = File.ReadAllBytes(probe) is [1] && !File.Exists(probe + ".renamed");
        File.Delete(probe);
        if (!dotnetCut || !renameCut || !fsyncCut || !intact)
        {
            throw new InvalidOperationException($"the power-cut layer lets writes through (.NET write cut: {dotnetCut}, Mono.Posix rename cut: {renameCut}, fsync cut: {fsyncCut}, file intact: {intact})");
        }
    }
}
