// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;

namespace Updater.Explore;

/// <summary>
/// Runs steps from states and checks DESIGN.md's invariants after each one. Every (state, step) pair runs once
/// against the real code; the result is kept, so a random walk that reaches a known pair replays it instead.
/// That is sound because a step's outcome depends only on the state as captured (checked: a sample of pairs is
/// run again and must land on the same state).
/// </summary>
internal sealed class Explorer(ExploreDevice device, IReadOnlyList<ExploreEvent> events, TextWriter log)
{
    public IReadOnlyList<ExploreEvent> Events => events;

    /// <summary>Print every step run: state, step, exit code, state after, output.</summary>
    public bool Trace { get; init; }

    private readonly Dictionary<(string, string), Transition> _done = new();
    private readonly Dictionary<string, DeviceSnapshot> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _statusProblems = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _calls = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    public List<Violation> Violations { get; } = [];

    /// <summary>The invariants each checked transition broke, by (state, step): what a shrunk sequence must still break.</summary>
    public Dictionary<(string, string), List<string>> Broken { get; } = new();

    public int StatesSeen => _states.Count;

    public IEnumerable<string> StateKeys => _states.Values.Select(v => v.Key.Replace("\n", " ## ", StringComparison.Ordinal));

    public int TransitionsRun { get; private set; }

    public int ReplaysChecked { get; private set; }

    /// <summary>Of <see cref="ReplaysChecked"/>, the cut steps: each cut for real at its write and compared with its recording.</summary>
    public int CutReplaysChecked { get; private set; }

    public DeviceSnapshot Initial()
    {
        var initial = DeviceSnapshot.Capture(device, "A", new HashSet<string>(StringComparer.Ordinal) { "v1" });
        Remember(initial);
        return initial;
    }

    /// <summary>Every step from <paramref name="state"/>: each event, and each command again cut at each of its writes (both ways).</summary>
    public IEnumerable<Step> StepsFrom(DeviceSnapshot state, bool withCuts)
    {
        foreach (var e in events)
        {
            yield return new Step(e, null);
            if (!e.IsCommand || !withCuts)
            {
                continue;
            }
            long calls = CallsOf(state, e);
            for (long k = 1; k <= calls; k++)
            {
                yield return new Step(e, new PowerCutAt(k, false));
                yield return new Step(e, new PowerCutAt(k, true));
            }
        }
    }

    /// <summary>How many writes the whole command makes from this state (its uncut run).</summary>
    public long CallsOf(DeviceSnapshot state, ExploreEvent e)
    {
        Run(state, new Step(e, null));
        return _calls[state.Id + "\n" + e.Name];
    }

    public Transition? Run(DeviceSnapshot from, Step step)
    {
        if (_done.TryGetValue((from.Id, step.ToString()), out var known))
        {
            return known;
        }
        if (step.Cut is { } cut && step.Event.IsCommand)
        {
            return RunCut(from, step, cut);
        }
        var results = Execute(from, step);
        if (results.Count == 0)
        {
            return null;
        }
        foreach (var t in results)
        {
            if (t.Step.Cut is null)
            {
                _calls[from.Id + "\n" + t.Step.Event.Name] = t.Calls;
            }
            Finish(t);
        }
        return _done[(from.Id, step.ToString())];
    }

    /// <summary>
    /// A cut step from the command's recording (<see cref="Record"/>): the disk as the cut leaves it, then a boot.
    /// The same as running the command cut at that call (CheckDeterminism runs a sample both ways), at the cost of
    /// one run of the command for all its cuts instead of one run per cut.
    /// </summary>
    private Transition? RunCut(DeviceSnapshot from, Step step, PowerCutAt cut)
    {
        var recording = Record(from, step.Event);
        if (cut.Call < 1 || cut.Call > recording.Kept.Count)
        {
            return null;
        }
        var disk = (cut.LoseUnsynced ? recording.Lost : recording.Kept)[(int)cut.Call - 1];
        if (!_bootedAfterCut.TryGetValue(disk.Id, out var to))
        {
            RestoreTime.Start();
            disk.Restore(device);
            RestoreTime.Stop();
            string after = device.Firmware.Boot() ?? "none";
            CaptureTime.Start();
            _bootedAfterCut[disk.Id] = to = DeviceSnapshot.Capture(device, after, disk.Worked);
            CaptureTime.Stop();
        }
        var t = new Transition(from, step, to, -1, $"(power cut at write {cut.Call} of {recording.Kept.Count})", recording.Kept.Count, true, true);
        Finish(t);
        return _done[(from.Id, step.ToString())];
    }

    private void Finish(Transition t)
    {
        TransitionsRun++;
        bool fresh = !_states.ContainsKey(t.To.Id);
        t = t with { To = Remember(t.To) };
        _done[(t.From.Id, t.Step.ToString())] = t;
        Check(t, fresh);
        if (Trace)
        {
            log.WriteLine($"{Projection(t.From)} --[{t.Step}]--> exit {t.Exit}: {Projection(t.To)} | {Excerpt(t.Output)}");
        }
    }

    private readonly Dictionary<string, DeviceSnapshot> _bootedAfterCut = new(StringComparer.Ordinal);

    /// <summary>Every cut of one command from one state: the disk before each of its writes, kept and with unsynced data lost.</summary>
    private sealed record Recording(string From, string Event, List<DeviceSnapshot> Kept, List<DeviceSnapshot> Lost);

    /// <summary>Recordings by (state, command); bounded, because a random walk asks for cuts of thousands of them.</summary>
    private readonly Dictionary<(string, string), Recording> _recordings = new();

    private const int RecordingsKept = 4096;

    public int RecordingsMismatched { get; private set; }

    /// <summary>
    /// Runs the command once, uncut, under the layer's watch, capturing the disk before each of its mutating calls
    /// (and that with the undo log applied): all the states its cuts leave. Recordings are kept (up to
    /// <see cref="RecordingsKept"/>): the steps of one command's cuts are asked for one after another, and a walk
    /// comes back to a state. The run's own end must be the uncut
    /// step's (counted in <see cref="RecordingsMismatched"/> otherwise).
    /// </summary>
    private Recording Record(DeviceSnapshot from, ExploreEvent e)
    {
        if (_recordings.TryGetValue((from.Id, e.Name), out var known))
        {
            return known;
        }
        if (_recordings.Count >= RecordingsKept)
        {
            _recordings.Clear();
        }
        from.Restore(device);
        string booted = from.Booted;
        string bootedContent = device.Content(booted);
        device.PrepareRun(bootedContent, e.ChecksPass);
        var worked = new HashSet<string>(from.Worked, StringComparer.Ordinal);
        if (e.IsHealth && e.ChecksPass)
        {
            worked.Add(bootedContent);
        }
        if (e.VouchedFor(booted) is { } vouched)
        {
            worked.Add(device.Content(vouched));
        }
        var kept = new List<DeviceSnapshot>();
        var lost = new List<DeviceSnapshot>();
        CliTime.Start();
        var (code, _) = PowerCut.Watching(call =>
        {
            WatchTime.Start();
            var disk = DeviceSnapshot.Capture(device, booted, worked);
            kept.Add(disk);
            lost.Add(disk.Undone(device, PowerCut.UndoLog()));
            WatchTime.Stop();
        }, () => ExploreDevice.RunCliAsync(["--config", device.ConfigPath, "--booted-slot", booted, .. e.Command]).GetAwaiter().GetResult());
        CliTime.Stop();
        if (_done.TryGetValue((from.Id, e.Name), out var uncut) && (uncut.Exit != code || uncut.Calls != kept.Count))
        {
            RecordingsMismatched++;
            Violations.Add(new Violation($"deterministic: the recorded run exited {code} after {kept.Count} writes, the uncut step {uncut.Exit} after {uncut.Calls}", uncut));
        }
        return _recordings[(from.Id, e.Name)] = new Recording(from.Id, e.Name, kept, lost);
    }

    private DeviceSnapshot Remember(DeviceSnapshot state)
    {
        if (_states.TryGetValue(state.Id, out var known))
        {
            return known;
        }
        _states[state.Id] = state;
        _statusProblems[state.Id] = StatusProblems(state);
        return state;
    }

    /// <summary>
    /// Runs a step from a restored state. Uncut: one transition. Cut: the transitions of both disk models (with
    /// and without the unsynced writes), or none when the command ended before the cut.
    /// </summary>
    public static readonly System.Diagnostics.Stopwatch RestoreTime = new(), CliTime = new(), CaptureTime = new(), WatchTime = new(), StatusTime = new(), CheckTime = new();

    /// <summary>Uncut runs per command: how many, and how long they took together.</summary>
    public static readonly Dictionary<string, (int Count, TimeSpan Total)> EventTimes = new(StringComparer.Ordinal);

    private List<Transition> Execute(DeviceSnapshot from, Step step)
    {
        RestoreTime.Start();
        from.Restore(device);
        RestoreTime.Stop();
        string booted = from.Booted;
        var worked = new HashSet<string>(from.Worked, StringComparer.Ordinal);
        if (step.Event.IsBoot)
        {
            string slot = device.Firmware.Boot() ?? "none";
            return [new Transition(from, step, DeviceSnapshot.Capture(device, slot, worked), 0, "", 0, false, true)];
        }
        if (step.Event.Sabotage is { } sabotage)
        {
            sabotage(device, booted);
            return [new Transition(from, step, DeviceSnapshot.Capture(device, booted, worked), 0, "", 0, false, false)];
        }

        string bootedContent = device.Content(booted);
        device.PrepareRun(bootedContent, step.Event.ChecksPass);
        string? vouched = step.Event.VouchedFor(booted);
        string? vouchedContent = vouched is null ? null : device.Content(vouched);
        PowerCut.Arm(step.Cut?.Call ?? 0, loseUnsynced: step.Cut is not null);
        CliTime.Start();
        long started = Stopwatch.GetTimestamp();
        var (code, output) = ExploreDevice.RunCliAsync(["--config", device.ConfigPath, "--booted-slot", booted, .. step.Event.Command]).GetAwaiter().GetResult();
        var (count, total) = EventTimes.GetValueOrDefault(step.Event.Name);
        EventTimes[step.Event.Name] = (count + 1, total + Stopwatch.GetElapsedTime(started));
        CliTime.Stop();
        output = output.Length > 2000 ? output[..2000] : output;
        long calls = PowerCut.Count;
        bool tripped = PowerCut.Tripped;
        if (step.Cut is not null && !tripped)
        {
            PowerCut.Disarm();
            return [];
        }
        if (step.Event.IsHealth && step.Event.ChecksPass)
        {
            worked.Add(bootedContent);
        }
        if (vouchedContent is not null && (code == 0 || tripped))
        {
            worked.Add(vouchedContent);
        }
        if (!tripped)
        {
            PowerCut.Disarm();
            bool reboot = File.Exists(device.RebootMarker);
            string after = reboot ? device.Firmware.Boot() ?? "none" : booted;
            CaptureTime.Start();
            var to = DeviceSnapshot.Capture(device, after, worked);
            CaptureTime.Stop();
            return [new Transition(from, step, to, code, output, calls, false, reboot)];
        }
        // The disk as the cut left it; then the same with the writes no fsync covered undone.
        var kept = DeviceSnapshot.Capture(device, booted, worked);
        PowerCut.Reboot();
        var lost = DeviceSnapshot.Capture(device, booted, worked);
        var results = new List<Transition>();
        foreach (var (disk, lose) in new[] { (kept, false), (lost, true) })
        {
            disk.Restore(device);
            string after = device.Firmware.Boot() ?? "none";
            var cut = new Step(step.Event, new PowerCutAt(step.Cut!.Call, lose));
            results.Add(new Transition(from, cut, DeviceSnapshot.Capture(device, after, worked), code, output, calls, true, true));
        }
        return results;
    }

    /// <summary>`updater status` must work in every state: at 3 a.m. it is what an operator runs first.</summary>
    private List<string> StatusProblems(DeviceSnapshot state)
    {
        using var timing = new Timing(StatusTime);
        if (state.Booted == "none")
        {
            return [];
        }
        state.Restore(device);
        device.PrepareRun(device.Content(state.Booted), checksPass: true);
        var (code, output) = ExploreDevice.RunCliAsync("--config", device.ConfigPath, "--booted-slot", state.Booted, "status", "--json").GetAwaiter().GetResult();
        var after = DeviceSnapshot.Capture(device, state.Booted, state.Worked);
        var problems = new List<string>();
        // Exit 8 is status working: it printed the whole report and listed what an operator must look at.
        if (code != (int)ExitCode.Success && !(code == (int)ExitCode.ProblemsListed && ListsProblems(output)))
        {
            problems.Add($"status-works: `updater status` exited {code}: {Excerpt(output)}");
        }
        if (!after.SameFiles(state))
        {
            problems.Add("status-reads-only: `updater status` changed files on disk");
        }
        return problems;
    }

    /// <summary>Whether <paramref name="output"/> holds a status document whose problems list is not empty.</summary>
    private static bool ListsProblems(string output)
    {
        int start = output.IndexOf('{', StringComparison.Ordinal);
        if (start < 0)
        {
            return false;
        }
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(output[start..]);
            return document.RootElement.TryGetProperty("problems", out var listed) && listed.GetArrayLength() > 0;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private void Check(Transition t, bool freshState)
    {
        using var timing = new Timing(CheckTime);
        var problems = new List<string>();
        string bootedBefore = t.From.Booted;
        string slotFile = Path.GetFileName(device.SlotPath(bootedBefore));
        if (t.From.Read(slotFile).AsSpan().SequenceEqual(t.To.Read(slotFile)) is false)
        {
            problems.Add($"booted-slot-never-written: slot {bootedBefore}, booted while the step ran, was written");
        }
        var current = ReadEnv(t.To);
        if (t.To.Booted == "none" || device.Firmware.Decide(current).Slot is null)
        {
            problems.Add("never-bricked: no slot is bootable");
        }
        foreach (string slot in new[] { "A", "B" })
        {
            string content = device.ContentOf(t.To.Read(Path.GetFileName(device.SlotPath(slot))));
            if (device.Firmware.Bootable(current, slot) && !ExploreDevice.IsImage(content))
            {
                problems.Add($"only-complete-slots-bootable: slot {slot} is bootable but holds {content}, not a verified image");
            }
        }
        if (FallbackLanding(current) is var (landing, committed) && landing is not null)
        {
            string content = device.ContentOf(t.To.Read(Path.GetFileName(device.SlotPath(landing))));
            if (!committed || !t.To.Worked.Contains(content))
            {
                problems.Add($"fallback-to-good: with no verdict the device settles on slot {landing} ({content}, {(committed ? "committed" : "not committed")}), which never worked");
            }
        }
        if (t.Step.Cut is null && t.Step.Event.IsCommand)
        {
            if (t.Step.Event.BadInput && (t.Exit == 0 || !t.To.SameFiles(t.From)))
            {
                problems.Add(t.Exit == 0 ? "bad-input-refused: a bad bundle was installed" : "bad-input-changes-nothing: the refused bundle changed files on disk");
            }
            if (t.Step.Event.Name == "install corrupt" && t.Exit == 0)
            {
                problems.Add("bad-input-refused: a bundle with a corrupt chunk was installed");
            }
            if (t.Exit == (int)ExitCode.InternalError)
            {
                problems.Add($"no-internal-errors: {Excerpt(t.Output)}");
            }
        }
        if (t.Tripped && t.To.Booted == t.From.Booted)
        {
            // The same command again, from where the cut left it, must end where the uncut command ends.
            // Or where it ends after the reboot alone: the boot after the cut counts a try of a trial slot as any boot
            // does (install, boot, boot, rollback cut before its first write: the boot after the cut uses up B's
            // last try, so the rerun leaves B unbootable where the uncut rollback left it a trial).
            var whole = Run(t.From, t.Step with { Cut = null })!;
            var rerun = Run(t.To, t.Step with { Cut = null })!;
            var rebooted = Run(t.From, new Step(events.First(e => e.IsBoot), null))!;
            var afterReboot = rebooted.To.Booted == t.From.Booted ? Run(rebooted.To, t.Step with { Cut = null }) : null;
            bool Same(Transition? expected) => expected is not null && rerun.Exit == expected.Exit && Projection(rerun.To) == Projection(expected.To);
            if (!Same(whole) && !Same(afterReboot))
            {
                problems.Add($"rerun-completes: after the cut, running it again exits {rerun.Exit} and leaves [{Projection(rerun.To)}]; uncut it exits {whole.Exit} and leaves [{Projection(whole.To)}] ({Excerpt(rerun.Output)})");
            }
        }
        if (freshState)
        {
            problems.AddRange(_statusProblems[t.To.Id]);
        }
        foreach (var problem in problems)
        {
            Violations.Add(new Violation(problem, t));
            var key = (t.From.Id, t.Step.ToString());
            if (!Broken.TryGetValue(key, out var list))
            {
                Broken[key] = list = [];
            }
            string invariant = problem.Split(':')[0];
            list.Add(invariant);
            if (_reported.Add(invariant))
            {
                log.WriteLine($"first violation of {invariant}: {problem}\n  after: {t.Step} (exit {t.Exit})");
            }
        }
    }

    /// <summary>Boots with no verdict ever given until the environment no longer changes: where the device settles.</summary>
    private (string? Slot, bool Committed) FallbackLanding(IReadOnlyDictionary<string, string> env)
    {
        string? slot = null;
        for (int boot = 0; boot < 32; boot++)
        {
            var (next, after, saves) = device.Firmware.Decide(env);
            slot = next;
            env = after;
            if (!saves)
            {
                break;
            }
        }
        return (slot, slot is not null && device.Firmware.Committed(env, slot));
    }

    private IReadOnlyDictionary<string, string> ReadEnv(DeviceSnapshot state) =>
        device.Firmware.ReadFrom(state, device);

    /// <summary>
    /// What decides the device's future: the booted slot, each slot's content and whether the bootloader would
    /// boot it (committed or on trial), and which slot it boots next. Not the counters' raw values: a boot in
    /// between may save defaults or count a try without changing any of that.
    /// </summary>
    private string Projection(DeviceSnapshot state)
    {
        var env = ReadEnv(state);
        var sides = new[] { "A", "B" }.Select(slot =>
            $"{slot}={device.ContentOf(state.Read(Path.GetFileName(device.SlotPath(slot))))}" +
            (device.Firmware.Committed(env, slot) ? " committed" : device.Firmware.Bootable(env, slot) ? " trial" : " unbootable"));
        return $"booted {state.Booted}, {string.Join(", ", sides)}, next boot {device.Firmware.Decide(env).Slot ?? "none"}";
    }

    private static string Excerpt(string output)
    {
        string line = string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length > 400 ? line[..400] + "..." : line;
    }

    /// <summary>Runs a sample of known pairs again from scratch and requires the same resulting state.</summary>
    public void CheckDeterminism(int sample, Random random)
    {
        var uncut = _done.Values.Where(t => t.Step.Event.IsCommand && t.Step.Cut is null).OrderBy(_ => random.Next()).Take(sample);
        var cut = _done.Values.Where(t => t.Step.Cut is not null).OrderBy(_ => random.Next()).Take(sample);
        foreach (var t in uncut.Concat(cut).ToList())
        {
            var again = Execute(t.From, t.Step).FirstOrDefault(r => r.Step == t.Step);
            ReplaysChecked++;
            CutReplaysChecked += t.Step.Cut is null ? 0 : 1;
            if (again is null || again.To.Id != t.To.Id || (t.Step.Cut is null && again.Exit != t.Exit))
            {
                Violations.Add(new Violation(t.Step.Cut is null
                    ? $"deterministic: running it again left a different state (exit {again?.Exit} vs {t.Exit})"
                    : "deterministic: the command cut for real at that write left another state than its recording", t));
            }
        }
    }

    public static string Elapsed(Stopwatch watch) => $"{watch.Elapsed.TotalSeconds:F1} s";
}

internal readonly struct Timing : IDisposable
{
    private readonly Stopwatch _watch;

    public Timing(Stopwatch watch)
    {
        _watch = watch;
        _watch.Start();
    }

    public void Dispose() => _watch.Stop();
}

internal sealed record Violation(string Problem, Transition Transition)
{
    public string Invariant => Problem.Split(':')[0];
}
