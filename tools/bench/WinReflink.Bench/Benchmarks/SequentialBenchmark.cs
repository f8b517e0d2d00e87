using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using WinReflink.Bench.Engine;
using WinReflink.Bench.Host;
using WinReflink.Bench.Reporting;

namespace WinReflink.Bench.Benchmarks;

/// <summary>
/// Issue item 3: a sequential write of a large file in 1 MiB calls, durable (Sync included), against
/// dd on the same disk (goal at least 0.8x); then reads in 1 MiB calls: from the cache (second pass;
/// goal at least 3 GB/s) and cold after a remount, against dd with iflag=direct. Each run uses a fresh
/// volume, so every write allocates new host blocks in data.img as dd's writes do in its new file.
/// Each run also splits the write into its two costs, filling the cache and writing it back (a second
/// volume whose dirty limit defers all write-back to the Sync), and measures how fast the machine
/// fills fresh memory, which bounds the first.
/// </summary>
internal static class SequentialBenchmark
{
    public const double WriteGoalRatio = 0.8;
    public const double CachedReadGoalMBps = 3000;

    private sealed record RunTimes(
        double WriteCalls, double WriteDurable, double FirstRead, double CachedRead, double Remount, double ColdRead,
        double FillOnly, double WriteBackOnly, bool Deferred, double FreshMemory, double TouchedMemory);

    public static Section Run(BenchOptions options, ILoggerFactory loggers, ILogger progress, PeerFigures peers)
    {
        long size = options.SizeBytes;
        var section = new Section("sequential", $"3. sequential {Format.Bytes(size)} in 1 MiB calls");
        var runs = new List<RunTimes>();
        for (int r = 0; r < options.Runs; r++)
        {
            progress.LogInformation("sequential: run {Run} of {Runs}: write, Sync, read twice, remount, cold read; write with write-back deferred; memory fill", r + 1, options.Runs);
            runs.Add(RunOnce(options, loggers, r));
        }

        double MBps(Func<RunTimes, double> seconds) => Stats.MegabytesPerSecond(size, Stats.Median(runs.Select(seconds)));

        double write = MBps(t => t.WriteDurable);
        section.Figures.Add(WriteFigure("write_mbps", "write + Sync (durable)", write, PeerFigures.WriteFdatasync, peers, size));
        section.Figures.Add(WriteFigure("write_mbps_vs_direct", "write + Sync (durable), against O_DIRECT dd", write, PeerFigures.WriteDirect, peers, size));
        section.Figures.Add(new Figure("write_calls_mbps", "  write calls alone (before Sync)", MBps(t => t.WriteCalls), "MB/s"));
        section.Figures.Add(new Figure("sync_seconds", "  Sync after the writes", Stats.Median(runs.Select(t => t.WriteDurable - t.WriteCalls)), "s"));
        string deferred = runs.All(t => t.Deferred) ? "" : " (dirty limit below the file: not all deferred)";
        section.Figures.Add(new Figure("fill_only_mbps", "  split: write calls with all write-back deferred" + deferred, MBps(t => t.FillOnly), "MB/s")
        {
            Against = FreshMemoryComparison(MBps(t => t.FillOnly), MBps(t => t.FreshMemory)),
        });
        section.Figures.Add(new Figure("write_back_only_mbps", "  split: Sync writing the whole file back", MBps(t => t.WriteBackOnly), "MB/s")
        {
            Against = Against(MBps(t => t.WriteBackOnly), PeerFigures.WriteDirect, peers, size),
        });
        section.Figures.Add(new Figure("fresh_memory_mbps", "  machine: copy into fresh memory (first touch)", MBps(t => t.FreshMemory), "MB/s"));
        section.Figures.Add(new Figure("touched_memory_mbps", "  machine: copy into the same memory again", MBps(t => t.TouchedMemory), "MB/s"));
        section.Figures.Add(new Figure("first_read_mbps", "read, first pass after the write", MBps(t => t.FirstRead), "MB/s"));
        double cached = MBps(t => t.CachedRead);
        section.Figures.Add(new Figure("cached_read_mbps", "read, cached (second pass)", cached, "MB/s")
        {
            Against = Against(cached, PeerFigures.ReadCached, peers, size),
            Goal = new Goal($">= {CachedReadGoalMBps:F0} MB/s", cached >= CachedReadGoalMBps),
        });
        section.Figures.Add(new Figure("remount_ms", "remount (Dispose + Open)", Stats.Median(runs.Select(t => t.Remount)) * 1000, "ms"));
        double cold = MBps(t => t.ColdRead);
        section.Figures.Add(new Figure("cold_read_mbps", "read, cold after remount", cold, "MB/s") { Against = Against(cold, PeerFigures.ReadDirect, peers, size) });
        if (Against(cold, PeerFigures.ReadDirect64K, peers, size) is { } small)
        {
            section.Figures.Add(new Figure("cold_read_mbps_vs_64k", "read, cold, against dd with the cache's 64 KiB I/O size", cold, "MB/s") { Against = small });
        }
        section.Samples["size_bytes"] = size;
        section.Samples["runs"] = new JsonArray(runs.Select(t => (JsonNode?)new JsonObject
        {
            ["write_calls_s"] = t.WriteCalls,
            ["write_durable_s"] = t.WriteDurable,
            ["first_read_s"] = t.FirstRead,
            ["cached_read_s"] = t.CachedRead,
            ["remount_s"] = t.Remount,
            ["cold_read_s"] = t.ColdRead,
            ["fill_only_s"] = t.FillOnly,
            ["write_back_only_s"] = t.WriteBackOnly,
            ["write_back_fully_deferred"] = t.Deferred,
            ["fresh_memory_s"] = t.FreshMemory,
            ["touched_memory_s"] = t.TouchedMemory,
        }).ToArray());
        return section;
    }

    private static RunTimes RunOnce(BenchOptions options, ILoggerFactory loggers, int run)
    {
        long size = options.SizeBytes;
        var io = new SequentialIo(BenchOptions.MiB, seed: 10 + run);
        double calls, durable, first, cached, remount, cold;
        using (var volume = ScratchVolume.Create(options, loggers, $"sequential-{run}", size + 256L * BenchOptions.MiB))
        {
            long file = volume.CreateFile("file");
            var sw = Stopwatch.StartNew();
            io.Write(volume.Fs, file, size);
            calls = sw.Elapsed.TotalSeconds;
            volume.Sync();
            durable = sw.Elapsed.TotalSeconds;

            sw.Restart();
            io.Read(volume.Fs, file, size);
            first = sw.Elapsed.TotalSeconds;
            sw.Restart();
            io.Read(volume.Fs, file, size);
            cached = sw.Elapsed.TotalSeconds;

            remount = volume.Reopen().TotalSeconds;
            sw.Restart();
            io.Read(volume.Fs, file, size);
            cold = sw.Elapsed.TotalSeconds;
        }

        double fill, writeBack;
        bool deferred;
        using (var volume = ScratchVolume.Create(options, loggers, $"sequential-{run}-deferred", size + 256L * BenchOptions.MiB, dirtyLimitBytes: 2 * size))
        {
            deferred = volume.Fs.CacheStatistics().DirtyLimitBytes >= size;
            long file = volume.CreateFile("file");
            var sw = Stopwatch.StartNew();
            io.Write(volume.Fs, file, size);
            fill = sw.Elapsed.TotalSeconds;
            sw.Restart();
            volume.Sync();
            writeBack = sw.Elapsed.TotalSeconds;
        }

        var source = new byte[BenchOptions.MiB];
        new Random(20 + run).NextBytes(source);
        var (fresh, touched) = FreshMemory.Fill(size, source);
        return new RunTimes(calls, durable, first, cached, remount, cold, fill, writeBack, deferred, fresh, touched);
    }

    private static Comparison? FreshMemoryComparison(double engine, double memory) =>
        double.IsNaN(memory) ? null : new Comparison("copy into fresh memory", memory, "MB/s", engine / memory);

    private static Figure WriteFigure(string key, string label, double engine, string peer, PeerFigures peers, long size)
    {
        var against = Against(engine, peer, peers, size);
        return new Figure(key, label, engine, "MB/s")
        {
            Against = against,
            Goal = against is null ? null : new Goal($">= {WriteGoalRatio}x dd", against.Ratio >= WriteGoalRatio),
        };
    }

    private static Comparison? Against(double engine, string peer, PeerFigures peers, long size)
    {
        return peers.MegabytesPerSecond(peer, size) is { } p ? new Comparison(PeerFigures.Command(peer), p, "MB/s", engine / p) : null;
    }
}
