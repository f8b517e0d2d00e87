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
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}
