using System.Globalization;
using WinReflink.Core.Tests.Crash;

namespace WinReflink.Core.Tests.Model;

/// <summary>How a <see cref="ModelHarness"/> sets up its volume; printed at the head of a replay trace.</summary>
internal sealed record HarnessOptions
{
    public long VolumeBytes { get; init; } = 256L << 20;
    public int BlockSize { get; init; } = FormatOptions.DefaultBlockSize;
    public bool CaseSensitive { get; init; }
    public long CacheSizeBytes { get; init; } = 64L << 20;
    public long DirtyLimitBytes { get; init; } = 16L << 20;
    /// <summary>
    /// Zero: commits happen only on fsync and unmount. Otherwise the group-commit timer runs and commits
    /// in the background between and during operations, which must change nothing the model compares.
    /// </summary>
    public TimeSpan CommitInterval { get; init; }
    /// <summary>Run the engine's Check() every this many steps (and after every reopen and crash).</summary>
    public int CheckEvery { get; init; } = 50;
    /// <summary>Null: the real data.img. Otherwise an in-memory <see cref="CrashingBlockStore"/> that loses unflushed writes this way on a crash.</summary>
    public CrashPolicy? Crash { get; init; }
    /// <summary>With <see cref="Crash"/>: the store ignores flushes (a lying disk), to prove the survivor check catches lost committed data.</summary>
    public bool IgnoreFlushes { get; init; }
    /// <summary>
    /// The volume is small enough to fill up: an operation may fail with NoSpace, and must then have changed
    /// nothing (a clone may stop early, as documented, with the bytes before in place).
    /// </summary>
    public bool AllowNoSpace { get; init; }
    /// <summary>
    /// The metadata budget (issue 11); null: the default. <see cref="TinyMetadataCache"/> also drops
    /// every clean inode before and after each step's comparisons, so each operation and each comparison
    /// loads what it touches from meta.db.
    /// </summary>
    public long? MetadataCacheBytes { get; init; }

    /// <summary>A budget no inode fits in.</summary>
    public const long TinyMetadataCache = 1;

    public FormatOptions ToFormatOptions() => new() { SizeBytes = VolumeBytes, BlockSize = BlockSize, CaseSensitive = CaseSensitive };

    /// <param name="image">With <see cref="Crash"/>: the in-memory data file the volume's store writes to, outliving each mount.</param>
    public OpenOptions ToOpenOptions(CrashImage? image) => new()
    {
        CommitInterval = CommitInterval,
        CacheSizeBytes = CacheSizeBytes,
        DirtyLimitBytes = DirtyLimitBytes,
        MetadataCacheBytes = MetadataCacheBytes,
        BlockStoreFactory = image == null ? null : s => new CrashingBlockStore(image, s.BlockSize, s.CapacityBlocks, IgnoreFlushes),
    };

    public string ToCSharp()
    {
        var inv = CultureInfo.InvariantCulture;
        var extra = new List<string>();
        if (BlockSize != FormatOptions.DefaultBlockSize)
        {
            extra.Add(string.Create(inv, $"BlockSize = {BlockSize}"));
        }
        if (CaseSensitive)
        {
            extra.Add("CaseSensitive = true");
        }
        if (CommitInterval > TimeSpan.Zero)
        {
            extra.Add(string.Create(inv, $"CommitInterval = TimeSpan.FromMilliseconds({CommitInterval.TotalMilliseconds})"));
        }
        if (Crash is { } c)
        {
            extra.Add($"Crash = CrashPolicy.{c}");
        }
        if (IgnoreFlushes)
        {
            extra.Add("IgnoreFlushes = true");
        }
        if (AllowNoSpace)
        {
            extra.Add("AllowNoSpace = true");
        }
        if (MetadataCacheBytes is { } metadata)
        {
            extra.Add(string.Create(inv, $"MetadataCacheBytes = {metadata}"));
        }
        string more = string.Concat(extra.Select(x => ", " + x));
        return string.Create(inv, $"new HarnessOptions {{ VolumeBytes = {VolumeBytes}, CacheSizeBytes = {CacheSizeBytes}, DirtyLimitBytes = {DirtyLimitBytes}, CheckEvery = {CheckEvery}{more} }}");
    }
}
