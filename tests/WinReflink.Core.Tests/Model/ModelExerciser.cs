using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace WinReflink.Core.Tests.Model;

/// <summary>
/// Runs one seed: random operations on a fresh volume, each applied to engine and model and verified.
/// On a failure it prints a replay: the seed, the failing step, every operation as a C# line ready to
/// paste into a test, and the first difference; then it shrinks the trace (within a time budget) by
/// dropping operations while the failure persists, and prints the shorter replay too.
/// </summary>
internal static class ModelExerciser
{
    /// <summary>What a passing run did: operations, refusals for space, and the namespace calls' answers by kind.</summary>
    public sealed record RunResult(int Operations, int NoSpaceRefusals, IReadOnlyDictionary<string, int> Outcomes, long RecognizedBlocks, long EvictedInodes, long EvictedEntries,
        (long Loaded, long Evicted) SharedSegments)
    {
        public string Summary() => string.Join("\n", Outcomes.Select(kv => $"  {kv.Key} x{kv.Value}"));
    }

    /// <summary>Runs the seed; returns how many operations ran and how many the volume refused for space.</summary>
    public static RunResult Run(string folder, int seed, int operations, ExerciserProfile profile)
    {
        var options = profile.Options(seed);
        var ops = new List<ModelOp>();
        Exception? failure = null;
        int step = 0;
        var harness = new ModelHarness(folder, options);
        try
        {
            var generator = new OperationGenerator(new Random(seed), profile, options.BlockSize);
            for (int i = 0; i < operations; i++)
            {
                var op = generator.Next(harness);
                ops.Add(op);
                step = ops.Count;
                op.Apply(harness);
            }
            // Every run ends with a remount (or power cut) and a full check, whatever the mix drew last.
            var last = options.Crash != null ? new ModelOp("h.Crash(0);", [], x => x.Crash(0)) : new ModelOp("h.Reopen();", [], x => x.Reopen());
            ops.Add(last);
            step = ops.Count;
            last.Apply(harness);
            harness.Dispose();
            return new RunResult(ops.Count, harness.NoSpaceRefusals, harness.Outcomes, harness.RecognizedBlocks, harness.EvictedInodes, harness.EvictedEntries, harness.SharedSegments);
        }
        catch (Exception e) when (e is not InvalidTraceException)
        {
            failure = e;
        }
        finally
        {
            DisposeQuietly(harness, failure != null);
        }
        Report(folder, profile, seed, options, ops, step, failure!);
        throw new UnreachableException();
    }

    private static void DisposeQuietly(ModelHarness harness, bool failed)
    {
        try
        {
            harness.Dispose();
        }
        catch (Exception) when (failed)
        {
            // The engine is already known broken; the original failure is what gets reported.
        }
    }

    private static void Report(string folder, ExerciserProfile profile, int seed, HarnessOptions options, List<ModelOp> ops, int step, Exception failure)
    {
        var text = new StringBuilder();
        string header = string.Create(CultureInfo.InvariantCulture, $"{profile.Name} run failed: seed {seed}, step {step} ({ops[step - 1].Code})");
        text.AppendLine(header);
        text.AppendLine("Failure: " + failure.Message);
        if (failure is not ModelDivergenceException)
        {
            text.AppendLine(failure.ToString());
        }
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Replay ({ops.Count} operations; paste into a test class deriving from VolumeFixture):"));
        AppendReplay(text, $"Replay_{profile.Name.Replace('-', '_')}_seed{seed}", options, ops);
        var shrunk = Shrink(folder, options, ops, failure);
        if (shrunk.Ops.Count < ops.Count)
        {
            text.AppendLine();
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Shrunk replay ({shrunk.Ops.Count} operations, {shrunk.Tries} replays), failing with: {shrunk.Failure.Message}"));
            AppendReplay(text, $"Replay_{profile.Name.Replace('-', '_')}_seed{seed}_shrunk", options, shrunk.Ops);
        }
        string traceFile = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"winreflink-{profile.Name}-seed{seed}.trace.txt"));
        File.WriteAllText(traceFile, text.ToString());
        TestContext.Out.WriteLine(text.ToString());
        Assert.Fail($"{header}\nFailure: {failure.Message}\nShrunk to {shrunk.Ops.Count} operations; the replay is in the test output and in {traceFile}");
    }

    private static void AppendReplay(StringBuilder text, string name, HarnessOptions options, IReadOnlyList<ModelOp> ops)
    {
        text.AppendLine("[Test]");
        text.AppendLine($"public void {name}()");
        text.AppendLine("{");
        text.AppendLine($"    using var h = new ModelHarness(Folder, {options.ToCSharp()});");
        foreach (var op in ops)
        {
            text.AppendLine("    " + op.Code);
        }
        text.AppendLine("}");
    }

    private sealed record ShrinkResult(IReadOnlyList<ModelOp> Ops, Exception Failure, int Tries);

    /// <summary>
    /// Shrinks a failing trace while a replay still fails the same way: first without each file the
    /// last operation does not touch, then without chunks of operations, halving the chunk size.
    /// </summary>
    private static ShrinkResult Shrink(string folder, HarnessOptions options, List<ModelOp> ops, Exception failure)
    {
        var budget = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("WINREFLINK_SHRINK_SECONDS"), CultureInfo.InvariantCulture, out int s) ? s : 60);
        var current = ops;
        var currentFailure = failure;
        int tries = 0;

        bool Try(List<ModelOp> candidate)
        {
            tries++;
            var e = Replay(folder + "-shrink", options, candidate);
            if (e == null || e.GetType() != failure.GetType())
            {
                return false;
            }
            current = candidate;
            currentFailure = e;
            return true;
        }

        var lastFiles = ops[^1].Files;
        foreach (int id in ops.SelectMany(o => o.Files).Distinct().Except(lastFiles).ToList())
        {
            if (budget.Elapsed < limit)
            {
                Try(current.Where(o => !o.Files.Contains(id)).ToList());
            }
        }
        for (int chunk = Math.Max(1, current.Count / 2); chunk >= 1 && budget.Elapsed < limit; chunk /= 2)
        {
            for (int start = 0; start < current.Count && budget.Elapsed < limit;)
            {
                if (!Try(current.Take(start).Concat(current.Skip(start + chunk)).ToList()))
                {
                    start += chunk;
                }
            }
        }
        return new ShrinkResult(current, currentFailure, tries);
    }

    /// <summary>Replays operations on a fresh volume; the failure, or null when it passes or the trace does not make sense any more.</summary>
    private static Exception? Replay(string folder, HarnessOptions options, List<ModelOp> ops)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
        ModelHarness? harness = null;
        Exception? failure = null;
        try
        {
            harness = new ModelHarness(folder, options);
            foreach (var op in ops)
            {
                op.Apply(harness);
            }
        }
        catch (InvalidTraceException)
        {
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            if (harness != null)
            {
                DisposeQuietly(harness, true);
            }
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        return failure;
    }
}
