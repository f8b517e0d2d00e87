namespace WinReflink.Core.Cache;

/// <summary>
/// What one read must wait for before it can copy its bytes out of the cache: the blocks it reserved
/// to read from the store itself (marked <see cref="CacheEntry.Loading"/> under the volume lock, read
/// by <see cref="ExtentCache.Load"/> outside it) and the blocks another read is loading already.
/// Invariant: every block in <see cref="Own"/> is Loading in its entry until <see cref="ExtentCache.Load"/>
/// or <see cref="ExtentCache.Abandon"/> completes it, and the reader that built the load calls one of
/// them exactly once, whatever happens in between; otherwise the entry stays pinned for ever.
/// </summary>
internal sealed class ReadLoad
{
    public ReadLoad(bool firstAttempt)
    {
        FirstAttempt = firstAttempt;
    }

    /// <summary>The read's first pass: only it moves the file's readahead state, so a retry is not taken for a second sequential read.</summary>
    public bool FirstAttempt { get; }

    private List<(CacheEntry Entry, ulong Mask, bool Ahead)>? _own;
    private List<(CacheEntry Entry, ulong Mask)>? _others;

    /// <summary>Blocks this read loads: the entry, the blocks, and whether they are readahead (not asked for).</summary>
    internal IReadOnlyList<(CacheEntry Entry, ulong Mask, bool Ahead)> Own => _own ?? [];

    /// <summary>Blocks another read is loading; this read waits for them to land.</summary>
    internal IReadOnlyList<(CacheEntry Entry, ulong Mask)> Others => _others ?? [];

    // Made on the first miss: a read the cache serves allocates no lists.
    internal void AddOwn(CacheEntry entry, ulong mask, bool ahead) => (_own ??= new()).Add((entry, mask, ahead));

    internal void AddOther(CacheEntry entry, ulong mask) => (_others ??= new()).Add((entry, mask));

    /// <summary>Windows this load has pinned (made Loading from not Loading), capped so concurrent loads cannot pin the whole cache.</summary>
    internal int PinnedWindows { get; set; }

    /// <summary>Nothing to load or wait for: the read has been served from the cache.</summary>
    public bool IsEmpty => _own == null && _others == null;

    /// <summary>Whether any of the read's own blocks are missing (not only readahead).</summary>
    public bool Missed => _others != null || (_own != null && _own.Exists(o => !o.Ahead));
}
