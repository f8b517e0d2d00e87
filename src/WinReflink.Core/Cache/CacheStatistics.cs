namespace WinReflink.Core.Cache;

/// <summary>
/// What the ExtentCache reports. <see cref="SavedBytes"/> is what per-file caches (the Linux page cache,
/// the Windows Cache Manager) would have held on top of <see cref="CachedBytes"/> for the same owners.
/// </summary>
public readonly record struct CacheStatistics(
    long CachedBytes,
    long SavedBytes,
    long DirtyBytes,
    long LimitBytes,
    long DirtyLimitBytes,
    long Hits,
    long Misses,
    int Entries,
    int MaxOwnersPerEntry,
    long WrittenBackBytes)
{
    /// <summary>Blocks in the content index: clean cached blocks a write repeating their bytes could share.</summary>
    public long IndexedBlocks { get; init; }

    /// <summary>The content index's memory, estimated from its capacity.</summary>
    public long IndexBytes { get; init; }

    /// <summary>Blocks writes did not write because clean cached blocks held their bytes (copy recognition), since the volume opened.</summary>
    public long RecognizedBlocks { get; init; }

    /// <summary>Bytes of writes copy recognition avoided: <see cref="RecognizedBlocks"/> in bytes.</summary>
    public long RecognizedBytes { get; init; }

    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}
