using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using WinReflink.Bench.Engine;
using WinReflink.Bench.Reporting;
using WinReflink.Core;
using WinReflink.Tests.Engine;

namespace WinReflink.Bench.Benchmarks;

/// <summary>
/// Issue item 4: random block-aligned 4 KiB overwrites of a committed clone, then Sync. Copy-on-write
/// should write what was overwritten and no more: bytes written to data.img per byte overwritten
/// (goal at most 1.1). The blocks are distinct, so a second write to a block already moved cannot
/// hide amplification by being absorbed in the cache.
/// </summary>
internal static class RandomOverwriteBenchmark
{
    public const double GoalAmplification = 1.1;
    private const int BlockSize = FormatOptions.DefaultBlockSize;

    public static Section Run(BenchOptions options, ILoggerFactory loggers, ILogger progress)
    {
        long size = options.SizeBytes;
        long blocks = size / BlockSize;
        int writes = (int)Math.Min(options.RandomWrites, blocks);
        var section = new Section("random", $"4. {writes:N0} random 4 KiB overwrites of a {Format.Bytes(size)} clone");
        using var volume = ScratchVolume.Create(options, loggers, "random", 2 * size + 256L * BenchOptions.MiB);
        var fs = volume.Fs;

        progress.LogInformation("random: writing a {Size} file and cloning it", Format.Bytes(size));
        long source = volume.CreateFile("source");
        new SequentialIo(BenchOptions.MiB, seed: 4).Write(fs, source, size);
        long clone = volume.CreateFile("clone");
        EngineCall.Check(fs.CloneRange(source, 0, clone, 0, size, out _), "clone");
        volume.Sync();

        var targets = DistinctRandomBlocks(blocks, writes, new Random(5));
        var data = new byte[BlockSize];
        new Random(6).NextBytes(data);
        progress.LogInformation("random: {Writes} overwrites of distinct random blocks, then Sync", writes);
        long before = fs.DataBytesWritten;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        foreach (long block in targets)
        {
            BinaryPrimitives.WriteInt64LittleEndian(data, block);
            EngineCall.Check(fs.Write(clone, block * BlockSize, data, out _), "write");
        }
        double calls = sw.Elapsed.TotalSeconds;
        double callsCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        volume.Sync();
        double total = sw.Elapsed.TotalSeconds;
        long written = fs.DataBytesWritten - before;
        long overwritten = (long)writes * BlockSize;
        double amplification = written / (double)overwritten;

        section.Figures.Add(new Figure("amplification", "bytes written to data.img per byte overwritten", amplification, "x")
        {
            Goal = new Goal($"<= {GoalAmplification}", amplification <= GoalAmplification),
        });
        section.Figures.Add(new Figure("clone_extents", "extents of the clone afterwards", volume.ExtentCount(clone), "extents"));
        section.Figures.Add(new Figure("write_mbps", "overwrite throughput, Sync included", Stats.MegabytesPerSecond(overwritten, total), "MB/s"));
        section.Figures.Add(new Figure("write_iops", "  in 4 KiB writes per second", writes / total, "IOPS"));
        section.Figures.Add(new Figure("write_calls_us", "  per write call, before Sync", calls / writes * 1e6, "us"));
        section.Figures.Add(new Figure("write_calls_cpu_us", "  per write call, CPU time of the process", callsCpu / writes * 1e6, "us"));
        section.Figures.Add(new Figure("sync_seconds", "  Sync after the writes", total - calls, "s"));
        section.Samples["writes"] = writes;
        section.Samples["bytes_overwritten"] = overwritten;
        section.Samples["bytes_written_to_data_img"] = written;
        section.Samples["write_calls_s"] = calls;
        section.Samples["write_calls_cpu_s"] = callsCpu;
        section.Samples["total_s"] = total;
        return section;
    }

    /// <summary>The first <paramref name="count"/> of a random permutation of the blocks (partial Fisher-Yates).</summary>
    private static long[] DistinctRandomBlocks(long blocks, int count, Random random)
    {
        var all = new long[blocks];
        for (long i = 0; i < blocks; i++)
        {
            all[i] = i;
        }
        for (int i = 0; i < count; i++)
        {
            long j = random.NextInt64(i, blocks);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return all[..count];
    }
}
