// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using Updater.Explore;

// tests/explore/run.sh [--depth N] [--cuts last|anywhere] [--cut-depth N] [--random N] [--max-length N] [--backend grub|uboot|all] [--self-test] [--seed N] [--trace]
// Runs under tests/explore/run.sh, which preloads the power-cut layer and sets POWERCUT_ROOT and POWERCUT_LIB.
int depth = 6, cutDepth = int.MaxValue, randomWalks = 0, maxLength = 20, seed = 1;
string backends = "all";
bool selfTest = false, trace = false, cutsAnywhere = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--depth": depth = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--cut-depth": cutDepth = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--random": randomWalks = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--max-length": maxLength = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--backend": backends = args[++i]; break;
        case "--self-test": selfTest = true; break;
        case "--trace": trace = true; break;
        case "--cuts": cutsAnywhere = args[++i] switch { "anywhere" => true, "last" => false, var other => throw new ArgumentException($"--cuts {other}: anywhere or last") }; break;
        default: Console.Error.WriteLine($"explore: unknown argument {args[i]}"); return 2;
    }
}

string root = Environment.GetEnvironmentVariable("POWERCUT_ROOT") ?? throw new InvalidOperationException("POWERCUT_ROOT is not set: run tests/explore/run.sh");
string work = Environment.GetEnvironmentVariable("EXPLORE_WORK") ?? throw new InvalidOperationException("EXPLORE_WORK is not set: run tests/explore/run.sh");
string repository = Environment.GetEnvironmentVariable("EXPLORE_REPOSITORY") ?? throw new InvalidOperationException("EXPLORE_REPOSITORY is not set");
PowerCut.Install();
Directory.CreateDirectory(root);
PowerCut.SelfCheck(root);

int status = 0;
foreach (string backend in backends == "all" ? new[] { "grub", "uboot", "systemd-boot", "efi" } : new[] { backends })
{
    var watch = Stopwatch.StartNew();
    var device = new ExploreDevice(backend, root, Path.Combine(work, backend), repository);
    await device.ProvisionAsync();
    var events = selfTest ? ExploreEvent.All(device).Take(2).Concat(ExploreEvent.Sabotages()).ToList() : ExploreEvent.All(device);
    var explorer = new Explorer(device, events, Console.Out) { Trace = trace };
    var search = new Search(explorer, depth, cutsAnywhere, cutDepth);
    search.Exhaustive();
    string cuts = (cutsAnywhere ? "a power cut at any write of any of its commands" : "a power cut at any write of its last command") +
        (cutDepth < depth ? $" when it is at most {cutDepth} steps long" : "");
    Console.WriteLine($"{backend}: depth {depth}: {search.Sequences:N0} event sequences (every sequence of up to {depth} steps over {events.Count} events, with or without {cuts}, each cut followed by a boot), " +
        $"{explorer.StatesSeen:N0} distinct states, {explorer.TransitionsRun:N0} steps run, {Explorer.Elapsed(watch)}");
    Console.WriteLine($"time: restore {Explorer.RestoreTime.Elapsed.TotalSeconds:F1} s, commands {Explorer.CliTime.Elapsed.TotalSeconds:F1} s, capture {Explorer.CaptureTime.Elapsed.TotalSeconds:F1} s");
    if (randomWalks > 0)
    {
        var walkWatch = Stopwatch.StartNew();
        int before = explorer.StatesSeen, ran = explorer.TransitionsRun;
        search.RandomWalks(randomWalks, maxLength, new Random(seed), Console.Out);
        Console.WriteLine($"time: restore {Explorer.RestoreTime.Elapsed.TotalSeconds:F1} s, commands {Explorer.CliTime.Elapsed.TotalSeconds:F1} s, capture {Explorer.CaptureTime.Elapsed.TotalSeconds:F1} s, watch {Explorer.WatchTime.Elapsed.TotalSeconds:F1} s, status {Explorer.StatusTime.Elapsed.TotalSeconds:F1} s, check {Explorer.CheckTime.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"{backend}: {randomWalks:N0} random sequences of 1 to {maxLength} steps: {explorer.StatesSeen - before:N0} new states, {explorer.TransitionsRun - ran:N0} new steps run, {Explorer.Elapsed(walkWatch)}");
    }
    if (Environment.GetEnvironmentVariable("EXPLORE_DUMP") is { } dump)
    {
        File.WriteAllLines(dump, explorer.StateKeys);
    }
    if (Environment.GetEnvironmentVariable("EXPLORE_TIMES") is not null)
    {
        foreach (var (name, (count, total)) in Explorer.EventTimes.OrderByDescending(e => e.Value.Total))
        {
            Console.WriteLine($"  {name}: {count} runs, {total.TotalMilliseconds / count:F2} ms each");
        }
    }
    explorer.CheckDeterminism(selfTest ? 5 : 200, new Random(seed));
    Console.WriteLine($"{backend}: {explorer.ReplaysChecked} steps run again from scratch ({explorer.CutReplaysChecked} of them cut for real at the write their recording captured): {(explorer.Violations.Any(v => v.Invariant == "deterministic") ? "NOT the same" : "the same states")}");
    var report = search.Report();
    if (selfTest)
    {
        bool caughtWrite = report.Any(r => r.Invariant == "booted-slot-never-written" && r.Sequence.Count == 1);
        bool caughtBootable = report.Any(r => r.Invariant == "only-complete-slots-bootable" && r.Sequence.Count == 1);
        Console.WriteLine($"{backend}: self test: sabotage caught: writing the booted slot {caughtWrite}, a never-written slot made bootable {caughtBootable}");
        if (!caughtWrite || !caughtBootable)
        {
            status = 1;
        }
        continue;
    }
    foreach (var r in report)
    {
        status = 1;
        Console.WriteLine($"{backend}: VIOLATED {r.Problem}");
        for (int i = 0; i < r.Sequence.Count; i++)
        {
            Console.WriteLine($"    {i + 1}. {r.Sequence[i]}");
        }
        Console.WriteLine($"    output of the last step: {r.Output}");
    }
    Console.WriteLine($"{backend}: {(report.Count == 0 ? "no invariant violated" : $"{report.Count} violation(s)")} in {Explorer.Elapsed(watch)}");
}
return status;
