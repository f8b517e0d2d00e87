using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using WinReflink.Bench.Benchmarks;
using WinReflink.Bench.Engine;
using WinReflink.Bench.Host;
using WinReflink.Bench.Reporting;

namespace WinReflink.Bench;

/// <summary>Checks the options, runs the chosen benchmarks in order and prints the report on stdout; progress goes to stderr.</summary>
internal static class BenchRunner
{
    public static int Run(BenchOptions options, IReadOnlyList<string> peerArguments)
    {
        // Everything logged goes to stderr: stdout carries only the report.
        using var loggers = LoggerFactory.Create(b => b
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            })
            .AddFilter("WinReflink", LogLevel.Warning));
        var progress = loggers.CreateLogger("bench");
        PeerFigures peers;
        try
        {
            peers = PeerFigures.Parse(peerArguments);
            Validate(options);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("WinReflink.Bench: " + e.Message);
            return 2;
        }

        var report = Describe(options, loggers, peers);
        if (options.Includes("clone"))
        {
            report.Sections.Add(CloneBenchmark.Run(options, loggers, progress));
        }
        if (options.Includes("extents"))
        {
            report.Sections.Add(ExtentScalingBenchmark.Run(options, loggers, progress));
        }
        if (options.Includes("sequential"))
        {
            report.Sections.Add(SequentialBenchmark.Run(options, loggers, progress, peers));
        }
        if (options.Includes("random"))
        {
            report.Sections.Add(RandomOverwriteBenchmark.Run(options, loggers, progress));
        }
        Console.Out.Write(options.Json ? report.ToJson() + Environment.NewLine : report.ToTable());
        return 0;
    }

    private static void Validate(BenchOptions options)
    {
        if (!Directory.Exists(options.Directory))
        {
            throw new ArgumentException($"--dir {options.Directory} does not exist");
        }
        if (options.SizeBytes < BenchOptions.MiB || options.Runs < 1 || options.Clones < 1 || options.RandomWrites < 1)
        {
            throw new ArgumentException("--size-mib, --runs, --clones and --random-writes must be at least 1");
        }
        if (options.ExtentCounts.Count == 0 || options.ExtentCounts.Any(n => n < 1))
        {
            throw new ArgumentException("--extent-counts needs positive counts");
        }
        var unknown = options.Only.Except(BenchOptions.AllBenchmarks).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"--only {string.Join(",", unknown)}: choose from {string.Join(", ", BenchOptions.AllBenchmarks)}");
        }
    }

    /// <summary>The machine and the engine's effective cache settings, read from a small volume opened as the benchmarks open theirs.</summary>
    private static Report Describe(BenchOptions options, ILoggerFactory loggers, PeerFigures peers)
    {
        var machine = MachineInfo.Describe(options.Directory);
        long cacheBytes, dirtyLimitBytes;
        int blockSize;
        using (var probe = ScratchVolume.Create(options, loggers, "probe", 64L * BenchOptions.MiB))
        {
            var statistics = probe.Fs.CacheStatistics();
            cacheBytes = statistics.LimitBytes;
            dirtyLimitBytes = statistics.DirtyLimitBytes;
            blockSize = probe.Fs.BlockSize;
        }
        var settings = new JsonObject
        {
            ["directory"] = options.Directory,
            ["size_bytes"] = options.SizeBytes,
            ["runs"] = options.Runs,
            ["clones"] = options.Clones,
            ["extent_counts"] = new JsonArray(options.ExtentCounts.Select(n => (JsonNode?)n).ToArray()),
            ["random_writes"] = options.RandomWrites,
            ["block_size"] = blockSize,
            ["cache_bytes"] = cacheBytes,
            ["dirty_limit_bytes"] = dirtyLimitBytes,
            ["group_commit"] = "off (explicit Sync)",
        };
        string text = $"block {Format.Bytes(blockSize)}, ExtentCache {Format.Bytes(cacheBytes)}{(options.CacheBytes is null ? " (default)" : "")}, "
            + $"dirty limit {Format.Bytes(dirtyLimitBytes)}{(options.DirtyLimitBytes is null ? " (default)" : "")}, group commit off (explicit Sync); "
            + $"file {Format.Bytes(options.SizeBytes)}, {options.Runs} sequential runs (medians), {options.Clones} clones per file, "
            + $"dd peers and volumes in {options.Directory}";
        return new Report { Machine = machine, Settings = settings, SettingsText = text, Peers = peers };
    }
}
