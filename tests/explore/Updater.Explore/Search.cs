// SPDX-License-Identifier: Apache-2.0
using System.Numerics;

namespace Updater.Explore;

/// <summary>
/// Breadth first over states: every step from every state reached in fewer than depth steps, so every event
/// sequence of up to depth steps is covered (a sequence is a path through states; two paths to one state have the
/// same future). The first path found to a state is a shortest one, so a violation found here is already minimal.
/// Random walks then go deeper; a violation there is shrunk by dropping steps while it still happens.
/// </summary>
/// <param name="cutsAnywhere">Cuts at any step of a sequence; otherwise only in its last step (a cut state is checked, with its recovery, but not explored further).</param>
/// <param name="cutDepth">Sequences longer than this have no cut (their steps are the events alone).</param>
internal sealed class Search(Explorer explorer, int depth, bool cutsAnywhere, int cutDepth)
{
    private readonly Dictionary<string, (string? Parent, Step? Step, DeviceSnapshot State)> _tree = new(StringComparer.Ordinal);
    private readonly List<(IReadOnlyList<Step> Path, Violation Violation)> _found = [];
    private DeviceSnapshot? _initial;

    /// <summary>Event sequences of length 0..depth from the initial state (each path counted once).</summary>
    public BigInteger Sequences { get; private set; }

    public void Exhaustive()
    {
        _initial = explorer.Initial();
        _tree[_initial.Id] = (null, null, _initial);
        var level = new List<DeviceSnapshot> { _initial };
        var ways = new Dictionary<string, BigInteger>(StringComparer.Ordinal) { [_initial.Id] = 1 };
        Sequences = 1;
        for (int d = 0; d < depth; d++)
        {
            var next = new List<DeviceSnapshot>();
            var nextWays = new Dictionary<string, BigInteger>(StringComparer.Ordinal);
            foreach (var (key, count) in ways)
            {
                var state = _tree[key].State;
                foreach (var step in explorer.StepsFrom(state, withCuts: d < cutDepth).ToList())
                {
                    int seen = explorer.Violations.Count;
                    var t = explorer.Run(state, step);
                    if (t is null)
                    {
                        continue;
                    }
                    Collect(seen, PathTo(state.Id).Append(step).ToList());
                    if (step.Cut is not null && !cutsAnywhere)
                    {
                        Sequences += count;
                        continue;
                    }
                    if (!_tree.ContainsKey(t.To.Id))
                    {
                        _tree[t.To.Id] = (state.Id, step, t.To);
                        next.Add(t.To);
                    }
                    nextWays[t.To.Id] = nextWays.GetValueOrDefault(t.To.Id) + count;
                }
            }
            foreach (var count in nextWays.Values)
            {
                Sequences += count;
            }
            ways = nextWays;
            level = next;
        }
    }

    public void RandomWalks(int walks, int maxLength, Random random, TextWriter progress)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int w = 0; w < walks; w++)
        {
            if (w > 0 && w % 50_000 == 0)
            {
                progress.WriteLine($"  {w:N0} random sequences: {explorer.StatesSeen:N0} states, {explorer.TransitionsRun:N0} steps run, {watch.Elapsed.TotalSeconds:F0} s");
            }
            var state = _initial!;
            var path = new List<Step>();
            int length = random.Next(1, maxLength + 1);
            for (int i = 0; i < length; i++)
            {
                var step = RandomStep(state, random);
                int seen = explorer.Violations.Count;
                var t = explorer.Run(state, step);
                if (t is null)
                {
                    break;
                }
                path.Add(step);
                Collect(seen, path.ToList());
                state = t.To;
            }
        }
    }

    private Step RandomStep(DeviceSnapshot state, Random random)
    {
        var events = explorer.Events;
        var e = events[random.Next(events.Count)];
        if (!e.IsCommand || random.Next(8) != 0)
        {
            return new Step(e, null);
        }
        long calls = explorer.CallsOf(state, e);
        return calls == 0 ? new Step(e, null) : new Step(e, new PowerCutAt(random.NextInt64(1, calls + 1), random.Next(2) == 0));
    }

    private void Collect(int seen, List<Step> path)
    {
        for (int i = seen; i < explorer.Violations.Count; i++)
        {
            _found.Add((path, explorer.Violations[i]));
        }
    }

    private IEnumerable<Step> PathTo(string key)
    {
        if (!_tree.ContainsKey(key))
        {
            return [];
        }
        var steps = new List<Step>();
        for (var node = _tree[key]; node.Parent is not null; node = _tree[node.Parent])
        {
            steps.Add(node.Step!);
        }
        steps.Reverse();
        return steps;
    }

    /// <summary>One entry per invariant and first problem text, with the shortest sequence that breaks it.</summary>
    public List<(string Invariant, string Problem, IReadOnlyList<Step> Sequence, string Output)> Report()
    {
        var report = new List<(string, string, IReadOnlyList<Step>, string)>();
        foreach (var group in _found.GroupBy(f => f.Violation.Invariant))
        {
            var (path, violation) = group.OrderBy(f => f.Path.Count).ThenBy(f => f.Path.Count(s => s.Cut is not null)).First();
            var shrunk = Environment.GetEnvironmentVariable("EXPLORE_NO_SHRINK") is null ? Shrink(path, violation.Invariant) : path;
            string output = string.Join(" | ", violation.Transition.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            report.Add((violation.Invariant, violation.Problem, shrunk, output.Length > 600 ? output[..600] + "..." : output));
        }
        return report;
    }

    /// <summary>Drops steps, one at a time, while the sequence still ends in a step that breaks <paramref name="invariant"/>.</summary>
    private IReadOnlyList<Step> Shrink(IReadOnlyList<Step> path, string invariant)
    {
        var current = path.ToList();
        bool progress = true;
        while (progress)
        {
            progress = false;
            for (int i = 0; i < current.Count - 1; i++)
            {
                var candidate = current.Where((_, j) => j != i).ToList();
                if (Breaks(candidate, invariant))
                {
                    current = candidate;
                    progress = true;
                    break;
                }
            }
        }
        return current;
    }

    private bool Breaks(List<Step> path, string invariant)
    {
        var state = _initial!;
        for (int i = 0; i < path.Count; i++)
        {
            var t = explorer.Run(state, path[i]);
            if (t is null)
            {
                return false;
            }
            if (i == path.Count - 1)
            {
                return explorer.Broken.TryGetValue((state.Id, path[i].ToString()), out var broken) && broken.Contains(invariant);
            }
            state = t.To;
        }
        return false;
    }
}
