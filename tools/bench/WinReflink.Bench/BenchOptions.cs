namespace WinReflink.Bench;

/// <summary>Which benchmarks run, and how big they are.</summary>
internal sealed record BenchOptions
{
    public const int MiB = 1 << 20;

    /// <summary>Folder on the host disk for the scratch volumes (the folder the dd peers used).</summary>
    public required string Directory { get; init; }
    /// <summary>Size of the large file of the clone, sequential and random-overwrite benchmarks.</summary>
    public long SizeBytes { get; init; } = 1024L * MiB;
    /// <summary>Repetitions of the sequential write/read measurement (the median is reported).</summary>
    public int Runs { get; init; } = 5;
    /// <summary>Clones timed per file (the median is reported).</summary>
    public int Clones { get; init; } = 20;
    /// <summary>Extent counts of the clone-scaling benchmark; every file there has the same size.</summary>
    public IReadOnlyList<int> ExtentCounts { get; init; } = [1, 1_000, 100_000];
    /// <summary>Distinct random 4 KiB blocks overwritten in the clone.</summary>
    public int RandomWrites { get; init; } = 65_536;
    public long? CacheBytes { get; init; }
    public long? DirtyLimitBytes { get; init; }
    public IReadOnlySet<string> Only { get; init; } = AllBenchmarks;
    public bool Json { get; init; }

    public static readonly IReadOnlySet<string> AllBenchmarks = new HashSet<string>(StringComparer.Ordinal) { "clone", "extents", "sequential", "random" };

    public bool Includes(string benchmark) => Only.Contains(benchmark);
}
