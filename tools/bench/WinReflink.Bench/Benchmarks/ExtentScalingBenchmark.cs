using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using WinReflink.Bench.Engine;
using WinReflink.Bench.Reporting;
using WinReflink.Core;
using WinReflink.Tests.Engine;

namespace WinReflink.Bench.Benchmarks;

/// <summary>
/// Issue item 2: clone time of files with 1, 1,000 and 100,000 extents. Every file has the same number
/// of blocks, so only the extent count changes: the design says clone cost grows with extents, never
/// with bytes. A file of n extents is made by writing it in runs of blocks interleaved with the runs of
/// a companion file, so the allocator cannot give consecutive runs adjacent physical blocks.
/// </summary>
internal static class ExtentScalingBenchmark
{
    private const int BlockSize = FormatOptions.DefaultBlockSize;

    public static Section Run(BenchOptions options, ILoggerFactory loggers, ILogger progress)
    {
        long fileBlocks = options.ExtentCounts.Max();
        var section = new Section("extents", $"2. clone time against extent count (files of {Format.Bytes(fileBlocks * BlockSize)})");
        long capacity = options.ExtentCounts.Sum(n => (n == 1 ? 1 : 2) * fileBlocks * BlockSize) + 256L * BenchOptions.MiB;
        using var volume = ScratchVolume.Create(options, loggers, "extents", capacity);
        var fs = volume.Fs;
        var results = new JsonArray();
        foreach (int count in options.ExtentCounts)
        {
            long runBlocks = fileBlocks / count;
            long bytes = runBlocks * count * BlockSize;
            progress.LogInformation("extents: writing a {Size} file of {Count} extent(s)", Format.Bytes(bytes), count);
            long file = volume.CreateFile($"file-{count}");
            if (count == 1)
            {
                new SequentialIo(BenchOptions.MiB, seed: 2).Write(fs, file, bytes);
            }
            else
            {
                WriteInterleaved(fs, file, volume.CreateFile($"companion-{count}"), count, runBlocks);
            }
            volume.Sync();
            int extents = volume.ExtentCount(file);

            progress.LogInformation("extents: {Clones} clones of the {Count}-extent file", options.Clones, count);
            var micros = new List<double>();
            long firstClone = -1;
            for (int i = 0; i < options.Clones; i++)
            {
                long destination = volume.CreateFile($"clone-{count}-{i}");
                if (firstClone < 0)
                {
                    firstClone = destination;
                }
                var sw = Stopwatch.StartNew();
                EngineCall.Check(fs.CloneRange(file, 0, destination, 0, bytes, out long cloned), "clone");
                sw.Stop();
                if (cloned != bytes)
                {
                    throw new InvalidOperationException($"clone shared {cloned} of {bytes} bytes");
                }
                micros.Add(sw.Elapsed.TotalMicroseconds);
            }
            var commit = Stopwatch.StartNew();
            volume.Sync();
            commit.Stop();
            int cloneExtents = volume.ExtentCount(firstClone);

            double median = Stats.Median(micros);
            section.Figures.Add(new Figure($"clone_{count}_us", $"CloneRange, {extents:N0} extent{(extents == 1 ? "" : "s")} (median of {micros.Count})", median, "us"));
            section.Figures.Add(new Figure($"clone_{count}_us_per_extent", $"  per extent", median / extents, "us"));
            section.Figures.Add(new Figure($"clone_{count}_commit_ms_per_clone", $"  Sync after the clones, per clone", commit.Elapsed.TotalMilliseconds / micros.Count, "ms"));
            results.Add(new JsonObject
            {
                ["extents_requested"] = count,
                ["extents"] = extents,
                ["clone_extents"] = cloneExtents,
                ["file_bytes"] = bytes,
                ["clone_us"] = Format.Array(micros),
                ["commit_ms"] = Math.Round(commit.Elapsed.TotalMilliseconds, 3),
            });
        }
        section.Samples["files"] = results;
        return section;
    }

    /// <summary>Writes the file and its companion alternately, one run of blocks each.</summary>
    private static void WriteInterleaved(FileSystem fs, long file, long companion, int runs, long runBlocks)
    {
        var data = new byte[runBlocks * BlockSize];
        new Random(3).NextBytes(data);
        for (long r = 0; r < runs; r++)
        {
            long offset = r * runBlocks * BlockSize;
            EngineCall.Check(fs.Write(file, offset, data, out _), "write");
            EngineCall.Check(fs.Write(companion, offset, data, out _), "write");
        }
    }
}
