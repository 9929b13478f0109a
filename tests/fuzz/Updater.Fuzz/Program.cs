// SPDX-License-Identifier: Apache-2.0
using System.Text;
using SharpFuzz;

namespace Updater.Fuzz;

/// <summary>
/// updater-fuzz TARGET              runs one target under AFL++ (SharpFuzz's out-of-process loop, stdin/@@ input).
/// updater-fuzz TARGET --replay P   runs every file under P (a file or a directory) in-process and prints one line
///                                  per finding; exit 1 when there was one. Regression tests and the CI smoke use it.
/// updater-fuzz --list              prints the targets.
/// A target returns normally on acceptance or on a documented rejection; anything else (an undocumented
/// exception, a rejection without a place, a too long message, a signed-region violation) throws, which AFL
/// records as a crash.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--list")
        {
            foreach (string name in Targets.All.Keys)
            {
                Console.WriteLine(name);
            }
            return 0;
        }
        if (args.Length < 1 || !Targets.All.TryGetValue(args[0], out var target))
        {
            Console.Error.WriteLine($"usage: Updater.Fuzz TARGET [--replay FILE|DIR]; targets: {string.Join(' ', Targets.All.Keys)}");
            return 2;
        }
        if (args.Length == 3 && args[1] == "--replay")
        {
            return Replay(args[0], target, args[2]);
        }
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: Updater.Fuzz TARGET [--replay FILE|DIR]");
            return 2;
        }
        WarmUp(args[0], target);
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            target(memory.ToArray());
        });
        return 0;
    }

    /// <summary>
    /// Runs the seeds once before AFL's first input, so JIT and one-time setup (the trust root, the references)
    /// do not count against the first input's 1 s: under load the dry run otherwise timed out. The instrumented
    /// code writes coverage into a scratch map until SharpFuzz maps AFL's.
    /// </summary>
    private static unsafe void WarmUp(string name, Action<byte[]> target)
    {
        SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
        string seeds = Path.Combine(AppContext.BaseDirectory, "..", "..", "seeds", name);
        if (Directory.Exists(seeds))
        {
            foreach (string file in Directory.EnumerateFiles(seeds))
            {
                try
                {
                    target(File.ReadAllBytes(file));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Findings are AFL's to see, on its own inputs.
                }
            }
        }
        SharpFuzz.Common.Trace.PrevLocation = 0;
    }

    private static int Replay(string name, Action<byte[]> target, string path)
    {
        var files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToList()
            : [path];
        int findings = 0;
        foreach (string file in files)
        {
            try
            {
                target(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                findings++;
                string first = e.ToString().Split('\n')[0];
                Console.WriteLine($"FINDING {name} {file}: {(first.Length > 300 ? first[..300] : first)}");
            }
        }
        Console.WriteLine($"{name}: {files.Count} inputs, {findings} findings");
        return findings == 0 ? 0 : 1;
    }
}

/// <summary>An input the target handled wrongly; the message says how.</summary>
internal sealed class FindingException(string message, Exception? inner = null) : Exception(message, inner);

internal static class Check
{
    /// <summary>No rejection may echo more than this of its input (a config error once quoted kilobytes).</summary>
    public const int MaxMessageChars = 1024;

    /// <summary>A documented rejection: its message is short, and names the input (file, URL) and so the place.</summary>
    public static void Rejection(Exception e, string name)
    {
        if (string.IsNullOrWhiteSpace(e.Message) || !e.Message.Contains(name, StringComparison.Ordinal))
        {
            throw new FindingException($"rejection does not name '{name}': {Cap(e.Message)}", e);
        }
        if (e.Message.Length > MaxMessageChars)
        {
            throw new FindingException($"rejection message is {e.Message.Length} chars (more than {MaxMessageChars}): {Cap(e.Message)}", e);
        }
    }

    public static void Text(string? text, string what)
    {
        if (text is { Length: > MaxMessageChars })
        {
            throw new FindingException($"{what} is {text.Length} chars (more than {MaxMessageChars})");
        }
    }

    public static string Cap(string text) => text.Length > 200 ? text[..200] + "..." : text;

    public static string Latin1(byte[] input) => Encoding.Latin1.GetString(input);

    public static string Utf8(byte[] input) => Encoding.UTF8.GetString(input);
}
