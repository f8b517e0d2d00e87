using System.Diagnostics;
using Microsoft.Extensions.Logging;
using WinReflink.Bench.Engine;
using WinReflink.Bench.Reporting;
using WinReflink.Tests.Engine;

namespace WinReflink.Bench.Benchmarks;

/// <summary>
/// Issue item 1: `CloneRange` of a large single-extent file into fresh files (the median of several
/// clones; goal at most 1 ms), against a byte copy of the same file through the engine.
/// </summary>
internal static class CloneBenchmark
{
    public const double GoalMilliseconds = 1.0;

    public static Section Run(BenchOptions options, ILoggerFactory loggers, ILogger progress)
    {
        long size = options.SizeBytes;
        var section = new Section("clone", $"1. clone of a {Format.Bytes(size)} single-extent file");
        using var volume = ScratchVolume.Create(options, loggers, "clone", 3 * size + 256L * BenchOptions.MiB);
        var fs = volume.Fs;
        var io = new SequentialIo(BenchOptions.MiB, seed: 1);

        progress.LogInformation("clone: writing the {Size} source file", Format.Bytes(size));
        long source = volume.CreateFile("source");
        io.Write(fs, source, size);
        volume.Sync();
        int sourceExtents = volume.ExtentCount(source);

        progress.LogInformation("clone: {Clones} clones of the source into fresh files", options.Clones);
        var micros = new List<double>();
        for (int i = 0; i < options.Clones; i++)
        {
            long destination = volume.CreateFile($"clone-{i}");
            var sw = Stopwatch.StartNew();
            EngineCall.Check(fs.CloneRange(source, 0, destination, 0, size, out long cloned), "clone");
            sw.Stop();
            if (cloned != size)
            {
                throw new InvalidOperationException($"clone shared {cloned} of {size} bytes");
            }
            micros.Add(sw.Elapsed.TotalMicroseconds);
        }
        var commit = Stopwatch.StartNew();
        volume.Sync();
        commit.Stop();

        progress.LogInformation("clone: byte copy of the source through the engine (read+write in 1 MiB calls, then Sync)");
        long copy = volume.CreateFile("copy");
        var copyTimer = Stopwatch.StartNew();
        io.Copy(fs, source, copy, size);
        double copyCalls = copyTimer.Elapsed.TotalSeconds;
        volume.Sync();
        double copySeconds = copyTimer.Elapsed.TotalSeconds;

        double medianMicros = Stats.Median(micros);
        double medianMs = medianMicros / 1000;
        section.Figures.Add(new Figure("clone_median_ms", $"CloneRange {Format.Bytes(size)}, {sourceExtents:N0} extent{(sourceExtents == 1 ? "" : "s")} (median of {micros.Count})", medianMs, "ms")
        {
            Against = new Comparison("byte copy", copySeconds * 1000, "ms", copySeconds * 1000 / medianMs),
            Goal = new Goal($"<= {GoalMilliseconds} ms", medianMs <= GoalMilliseconds),
        });
        section.Figures.Add(new Figure("clone_max_ms", "CloneRange, slowest of the clones (JIT warm-up included)", micros.Max() / 1000, "ms"));
        section.Figures.Add(new Figure("clone_commit_ms", $"Sync after the {micros.Count} clones (metadata commit)", commit.Elapsed.TotalMilliseconds, "ms"));
        section.Figures.Add(new Figure("copy_seconds", $"byte copy {Format.Bytes(size)} through the engine + Sync", copySeconds, "s"));
        section.Figures.Add(new Figure("copy_sync_seconds", "  of which Sync (write-back + fsync)", copySeconds - copyCalls, "s"));
        section.Samples["size_bytes"] = size;
        section.Samples["source_extents"] = sourceExtents;
        section.Samples["clone_us"] = Format.Array(micros);
        section.Samples["copy_calls_s"] = copyCalls;
        return section;
    }
}
