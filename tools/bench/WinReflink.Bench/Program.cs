using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using WinReflink.Bench;

var directory = new Option<DirectoryInfo>("--dir") { Description = "Folder on the host disk for the scratch volumes (where the dd peers ran)", Required = true };
var size = new Option<long>("--size-mib") { Description = "Size of the large file in MiB", DefaultValueFactory = _ => 1024 };
var runs = new Option<int>("--runs") { Description = "Runs of the sequential benchmark (medians are reported)", DefaultValueFactory = _ => 5 };
var clones = new Option<int>("--clones") { Description = "Clones timed per file (medians are reported)", DefaultValueFactory = _ => 20 };
var extents = new Option<string>("--extent-counts") { Description = "Extent counts of the clone-scaling files, comma-separated", DefaultValueFactory = _ => "1,1000,100000" };
var randomWrites = new Option<int>("--random-writes") { Description = "Random 4 KiB overwrites of the clone", DefaultValueFactory = _ => 65_536 };
var cache = new Option<long?>("--cache-mib") { Description = "ExtentCache size in MiB (default: the engine's, a quarter of RAM)" };
var dirty = new Option<long?>("--dirty-limit-mib") { Description = "Dirty limit in MiB (default: the engine's, 256 MiB)" };
var only = new Option<string>("--only") { Description = "Run only these benchmarks, comma-separated: " + string.Join(",", BenchOptions.AllBenchmarks) };
var peers = new Option<string[]>("--peer") { Description = "A peer's times over the same size, NAME=SECONDS[,SECONDS...] (the driver script passes dd's)" };
var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the table" };

var command = new RootCommand("WinReflink engine benchmarks: clone, extent scaling, sequential I/O, random overwrites of a clone. Reports figures; asserts nothing.")
{
    directory, size, runs, clones, extents, randomWrites, cache, dirty, only, peers, json,
};
var standInDir = new Option<DirectoryInfo>("--dir") { Description = "Folder for the scratch volume", Required = true };
var standInLibrary = new Option<FileInfo>("--library") { Description = "The stand-in built for Linux (libwinfsp-standin.so)", Required = true };
var standIn = new Command("winfsp-standin", "The WinFsp host driven in process by the test stand-in's dispatcher; prints its BENCH lines (tools/bench/winfsp)")
{
    standInDir, standInLibrary,
};
standIn.SetAction(parsed =>
{
    using var loggers = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
    return WinReflink.Bench.Benchmarks.WinFspStandInBenchmark.Run(parsed.GetValue(standInDir)!.FullName, parsed.GetValue(standInLibrary)!.FullName, loggers);
});
command.Subcommands.Add(standIn);
var indexCache = new Option<long>("--cache-mib") { Description = "Size of the cache filled for the memory figures, in MiB", DefaultValueFactory = _ => 1024 };
var indexRounds = new Option<int>("--rounds") { Description = "Rounds of each timing (medians are reported)", DefaultValueFactory = _ => 5 };
var indexJson = new Option<bool>("--json") { Description = "Print one JSON object instead of the table" };
var contentIndex = new Command("content-index", "The ExtentCache's content index: hash against copy per 4 KiB block, lookups, memory per cached GiB (tools/bench/content-index)")
{
    indexCache, indexRounds, indexJson,
};
contentIndex.SetAction(parsed => WinReflink.Bench.Benchmarks.ContentIndexBenchmark.Run(
    parsed.GetValue(indexCache) * BenchOptions.MiB, parsed.GetValue(indexRounds), parsed.GetValue(indexJson)));
command.Subcommands.Add(contentIndex);
var loadVolume = new Option<DirectoryInfo>("--volume") { Description = "A built volume (scale-build); its meta.db is opened read-only", Required = true };
var loadInodes = new Option<int>("--inodes") { Description = "Inodes loaded per round and mode", DefaultValueFactory = _ => 20_000 };
var loadRounds = new Option<int>("--rounds") { Description = "Rounds of each mode (medians are reported)", DefaultValueFactory = _ => 5 };
var loadJson = new Option<bool>("--json") { Description = "Print one JSON object instead of the table" };
var loadRate = new Command("load-rate", "Microseconds per inode loaded from meta.db on demand, one at a time and in batches (issue 11)")
{
    loadVolume, loadInodes, loadRounds, loadJson,
};
loadRate.SetAction(parsed => WinReflink.Bench.Benchmarks.LoadRateBenchmark.Run(
    parsed.GetValue(loadVolume)!.FullName, parsed.GetValue(loadInodes), parsed.GetValue(loadRounds), parsed.GetValue(loadJson)));
command.Subcommands.Add(loadRate);
WinReflink.Bench.Scale.ScaleCommands.Add(command);
command.SetAction(parsed =>
{
    var options = new BenchOptions
    {
        Directory = parsed.GetValue(directory)!.FullName,
        SizeBytes = parsed.GetValue(size) * BenchOptions.MiB,
        Runs = parsed.GetValue(runs),
        Clones = parsed.GetValue(clones),
        ExtentCounts = parsed.GetValue(extents)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray(),
        RandomWrites = parsed.GetValue(randomWrites),
        CacheBytes = parsed.GetValue(cache) * BenchOptions.MiB,
        DirtyLimitBytes = parsed.GetValue(dirty) * BenchOptions.MiB,
        Only = parsed.GetValue(only) is { Length: > 0 } names
            ? names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal)
            : BenchOptions.AllBenchmarks,
        Json = parsed.GetValue(json),
    };
    return BenchRunner.Run(options, parsed.GetValue(peers) ?? []);
});
return command.Parse(args).Invoke();
